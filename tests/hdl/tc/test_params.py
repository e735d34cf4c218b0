"""Parameter checks of the tensor-core components (no simulation)."""

import pytest

from golden.sparq import Config
from hdl.tc import make_dp
from hdl.tc.array import TensorCore
from hdl.tc.sparse_array import SparseTensorCore
from hdl.tc.sparse_dp import SparseDotProduct

CFG = Config.preset(5)


@pytest.mark.parametrize("build, error, message", [
    (lambda: make_dp("4b4b"), ValueError, "variant must be one of 8b8b, 2x4b8b, sparq"),
    (lambda: make_dp("sparq"), TypeError, "config must be a golden.sparq.Config, got None"),
    (lambda: make_dp("sparq", "5opt"), TypeError, "config must be a golden.sparq.Config"),
    (lambda: make_dp("8b8b", CFG), ValueError, "takes no SPARQ configuration"),
    (lambda: make_dp("8b8b", acc_width=1), ValueError, "acc_width must be in 8..64, got 1"),
    (lambda: make_dp("sparq", CFG, acc_width=True), TypeError, "acc_width must be an int"),
    (lambda: TensorCore(variant="2x4b8b"), ValueError, "variant must be one of 8b8b, sparq"),
    (lambda: TensorCore(config=CFG, rows=0), ValueError, "rows must be >= 1, got 0"),
    (lambda: TensorCore(config=CFG, cols=4.0), TypeError, "cols must be an int"),
    (lambda: TensorCore(config=None), TypeError, "config must be"),
    (lambda: TensorCore(variant="8b8b", config=CFG), ValueError,
     "takes no SPARQ configuration"),
    (lambda: SparseTensorCore(variant="sysmt"), ValueError, "variant must be one of"),
    (lambda: SparseDotProduct(variant="sparq"), TypeError, "config must be"),
])
def test_bad_parameters_name_the_value(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("variant, k_step, latency", [("8b8b", 4, 1), ("sparq", 8, 2)])
def test_tc_rates_and_cycles(variant, k_step, latency):
    tc = TensorCore(variant=variant, config=CFG if variant == "sparq" else None)
    assert (tc.k_step, tc.latency) == (k_step, latency)
    # K = 32: 32 / k_step steps, the tile ``latency`` cycles after the last one; K = 33
    # needs one step more (padded with zeros).
    assert tc.cycles(32) == 32 // k_step - 1 + latency
    assert tc.steps(33) == 32 // k_step + 1


@pytest.mark.parametrize("variant, k_step", [("8b8b", 8), ("sparq", 16)])
def test_stc_doubles_the_dense_rate(variant, k_step):
    cfg = CFG if variant == "sparq" else None
    stc = SparseTensorCore(variant=variant, config=cfg)
    tc = TensorCore(variant=variant, config=cfg)
    assert stc.k_step == k_step == 2 * tc.k_step
