"""The torch SPARQ quantizer against the golden model and an independent rule, on all pairs."""

import numpy as np
import pytest

from golden.sparq import PRESETS, Config, quantize
from workloads._torch import torch
from workloads.quant.sparq_torch import (
    bsparq_by_rule,
    pair_table,
    sparq_quantize,
    sparq_quantize_by_rule,
    stc_expand,
    stc_expand_weight,
    value_tables,
)

CONFIGS = [(o, r) for o in sorted(PRESETS) for r in (True, False)]
IDS = [f"{o}opt-{'round' if r else 'trim'}" for o, r in CONFIGS]

_CODES = np.arange(1 << 16)
ALL_PAIRS = np.stack([_CODES >> 8, _CODES & 0xFF], axis=-1)          # (65536, 2)


@pytest.fixture(scope="module")
def all_pairs_t():
    return torch.from_numpy(ALL_PAIRS)


@pytest.mark.parametrize("opts, rounding", CONFIGS, ids=IDS)
def test_all_pairs_table_rule_and_golden_agree(opts, rounding, all_pairs_t):
    cfg = Config.preset(opts, rounding)
    golden = quantize(ALL_PAIRS, cfg)
    table = sparq_quantize(all_pairs_t, cfg).numpy()
    rule = sparq_quantize_by_rule(all_pairs_t, cfg).numpy()
    floats = sparq_quantize(all_pairs_t.float(), cfg).numpy()
    np.testing.assert_array_equal(table, golden)
    np.testing.assert_array_equal(rule, golden)       # independent of the golden code
    np.testing.assert_array_equal(floats, golden)


def test_rule_reproduces_the_worked_examples():
    x = torch.tensor([27])
    assert int(bsparq_by_rule(x, 4, (0, 1, 2, 3, 4), False)) == 26
    assert int(bsparq_by_rule(x, 4, (0, 1, 2, 3, 4), True)) == 28
    assert int(bsparq_by_rule(x, 4, (0, 2, 4), True)) == 28
    assert int(bsparq_by_rule(x, 4, (0, 4), False)) == 16
    assert int(bsparq_by_rule(x, 4, (0, 4), True)) == 32
    assert int(bsparq_by_rule(torch.tensor([124]), 4, (0, 1, 2, 3, 4), True)) == 120


def test_pairs_along_any_axis_and_odd_length():
    cfg = Config.preset(3)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(3, 7, 4, 5)) * (rng.random((3, 7, 4, 5)) < 0.6)
    for dim in range(4):
        want = np.moveaxis(quantize(np.moveaxis(x, dim, -1), cfg), -1, dim)
        got = sparq_quantize(torch.from_numpy(x).float(), cfg, dim=dim).numpy()
        np.testing.assert_array_equal(got, want)


def test_rejects_codes_outside_0_255():
    cfg = Config.preset(5)
    for bad in ([256.0, 1.0], [-1.0, 0.0], [1.5, 2.0]):
        with pytest.raises(ValueError):
            sparq_quantize(torch.tensor(bad), cfg)


@pytest.mark.parametrize("opts", [2, 5, 6, 7])
def test_value_tables_are_the_pair_rule(opts):
    cfg = Config.preset(opts)
    b, lone = (t.numpy() for t in value_tables(cfg))
    first = pair_table(cfg)[0].numpy().reshape(256, 256)
    np.testing.assert_array_equal(lone, first[:, 0])
    for y in (1, 77, 255):                     # any non-zero partner: x's own window
        np.testing.assert_array_equal(b[1:], first[1:, y])


@pytest.mark.parametrize("opts, rounding", [(5, True), (3, False), (7, True)])
def test_stc_expansion_matches_golden_stc_matmul(opts, rounding):
    from golden.sparq import matmul
    cfg = Config.preset(opts, rounding)
    rng = np.random.default_rng(opts)
    m, k, n = 50, 24, 7
    a = rng.integers(0, 256, size=(m, k)) * (rng.random((m, k)) < 0.55)
    w = rng.integers(-128, 128, size=(k, n))
    groups = w.reshape(k // 4, 4, n)
    for g in range(k // 4):                    # 0, 1 or 2 non-zeros per group and column
        for col in range(n):
            keep = rng.permutation(4)[: rng.integers(0, 3)]
            mask = np.zeros(4, bool)
            mask[keep] = True
            groups[g, ~mask, col] = 0
    w = groups.reshape(k, n)
    want = matmul(a, w, cfg, stc=True)
    xa = stc_expand(torch.from_numpy(a).float(), cfg, dim=1).double()
    wa = stc_expand_weight(torch.from_numpy(w.T.copy()).double(), dim=1)
    got = (xa @ wa.t()).round().long().numpy()
    np.testing.assert_array_equal(got, want)
    assert (want != matmul(a, w, cfg)).any()  # the STC pairing is not the dense one
