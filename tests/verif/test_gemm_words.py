"""The compiled backend's vectorized port words equal the cocotb benches' packers, beat by beat.

``verif.sa_ports`` and ``verif.tc_ports`` pack one beat at a time into Python
ints (the convention the regressions prove against the RTL); the compiled
harness packs whole operand blocks with numpy.  Both must give the same port
values for every variant, K not a multiple of the step, and 2:4 weights.
"""

from __future__ import annotations

import numpy as np
import pytest

from golden.sparq import Config
from hdl.sa.variants import PE_VARIANTS, pe_class
from verif.gemm.plan import plan_gemm, tiling
from verif.gemm.words import (
    fields_of,
    sa_act_words,
    sa_weight_words,
    stc_weight_words,
    tc_a_words,
    tc_b_words,
    to_ints,
    words_of,
)
from verif.kit import sparse_2to4
from verif.sa_ports import act_beats, weight_beats
from verif.tc_ports import stc_steps, tc_steps


@pytest.mark.parametrize("variant", sorted(PE_VARIANTS))
def test_sa_words_equal_the_cocotb_packers(variant):
    pe = pe_class(variant)
    rng = np.random.default_rng(len(variant))
    a = rng.integers(0, 1 << pe.act_bits, (3, 5, 12))
    w = rng.integers(-128, 128, (2, 12, 7))
    cfg = Config.preset(5) if pe.config_rule else None
    acts, wts = sa_act_words(a, pe.k_step, pe.act_bits), sa_weight_words(w, pe.k_step)
    for b in range(3):
        assert to_ints(acts[b]) == act_beats(pe, cfg, a[b])
    for b in range(2):
        assert to_ints(wts[b]) == weight_beats(pe, w[b])


@pytest.mark.parametrize("k_step", [8, 16])
def test_tc_and_stc_words_equal_the_cocotb_packers(k_step):
    rng = np.random.default_rng(k_step)
    a = rng.integers(0, 256, (2, 3, 2 * k_step))
    w = rng.integers(-128, 128, (2, 2 * k_step, 5))
    c = np.zeros((3, 5), np.int64)
    dense = tc_steps(a[1], w[0], c, k_step, 32)
    assert to_ints(tc_a_words(a, k_step)[1]) == [s["in_a"] for s in dense]
    assert to_ints(tc_b_words(w, k_step)[0]) == [s["in_b"] for s in dense]
    sparse = np.stack([sparse_2to4(rng, 2 * k_step, 5) for _ in range(2)])
    values, positions = stc_weight_words(sparse, k_step)
    steps = stc_steps(a[0], sparse[1], c, k_step, 32)
    assert to_ints(values[1]) == [s["in_values"] for s in steps]
    assert to_ints(positions[1]) == [s["in_positions"] for s in steps]


@pytest.mark.parametrize("width", [2, 8, 13, 16, 24, 32, 40, 64])
@pytest.mark.parametrize("count", [1, 3, 4, 7])
def test_words_round_trip(width, count):
    rng = np.random.default_rng(width * 10 + count)
    half = 1 << min(width - 1, 62)
    signed = rng.integers(-half, half, (5, count))
    assert (fields_of(words_of(signed, width), width, count) == signed).all()
    unsigned = rng.integers(0, 1 << min(width, 62), (5, count))
    assert (fields_of(words_of(unsigned, width), width, count, signed=False) == unsigned).all()
    assert words_of(signed, width).shape == (5, max(1, -(-count * width // 32)))


def test_a_word_holds_field_zero_in_its_low_bits():
    """A worked example: fields 0x12, 0x345 (12 bits each) -> 0x345012 in one word."""
    assert words_of(np.array([[0x12, 0x345]]), 12).tolist() == [[0x345012]]
    assert fields_of(np.array([[0xFFFFFFFF, 0x1]], np.uint32), 32, 2).tolist() == [[-1, 1]]


def test_grouped_tiling_keeps_each_group_apart():
    """Group g's A columns meet only group g's W columns; padding is zeros within a group."""
    a = np.arange(2 * 6).reshape(2, 6) + 1              # M = 2, groups = 2, Kg = 3
    w = np.arange(3 * 4).reshape(3, 4) + 1              # Kg = 3, N = 4 (Ng = 2)
    plan = plan_gemm(2, 3, 4, groups=2, rows=2, cols=4, baseline="8b8b")
    til = tiling(plan, a, w)
    assert plan.tiles == 2 and til.order.tolist() == [[0, 0], [1, 1]]
    assert til.a_blocks[1].tolist() == [[4, 5, 6], [10, 11, 12]]
    assert til.w_blocks[1].tolist() == [[3, 4, 0, 0], [7, 8, 0, 0], [11, 12, 0, 0]]
    assert til.place.tolist() == [[0, 0], [0, 2]]
