"""Manifest expressions: the evaluator a program uses to compute cycle counts."""

import pytest

from golden.sparq import Config
from hdl.emit.manifest import evaluate
from hdl.sa.array import SystolicArray
from hdl.sa.build import array_timing


def test_the_sa_stream_expression_equals_the_array_formula():
    array = SystolicArray(variant="sparq", config=Config.preset(5), rows=4, cols=3)
    timing = array_timing(array)
    for k, tiles in ((31, 3), (2, 5), (64, 1)):
        assert evaluate(timing.cycles["stream"], K=k, T=tiles) == \
            array.stream_cycles(tiles, array.beats(k))
        assert evaluate(timing.cycles["beats"], K=k) == array.beats(k)


@pytest.mark.parametrize("expr, variables, value", [
    ("ceil_div(K, 8) - 1 + 2", {"K": 17}, 4),
    ("max(P, 4) * (T - 1)", {"P": 3, "T": 3}, 8),
    ("-K // 2", {"K": 5}, -3),
])
def test_evaluate(expr, variables, value):
    assert evaluate(expr, **variables) == value


@pytest.mark.parametrize("expr, message", [
    ("K ** 2", "is not allowed"),
    ("__import__('os')", "is not allowed"),
    ("K + 1", "needs variable 'K'"),
])
def test_evaluate_refuses_what_it_does_not_define(expr, message):
    with pytest.raises(ValueError, match=message):
        evaluate(expr)
