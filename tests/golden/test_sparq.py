"""golden.sparq against the paper's worked examples and an independent scalar model."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.sparq import PRESETS, Config, compress_2to4, decode, encode, matmul, quantize, wrap
from tests.golden import scalar

CONFIGS = [(o, r) for o in sorted(PRESETS) for r in (True, False)]
CONFIG_IDS = [f"{o}opt-{'round' if r else 'trim'}" for o, r in CONFIGS]


def _scalar_args(cfg):
    return cfg.bits, cfg.shifts, cfg.rounding


# ------------------------------------------------------------- the paper's examples

@pytest.mark.parametrize("opts, trimmed, rounded", [(5, 26, 28), (3, 24, 28), (2, 16, 32)])
def test_worked_example_27(opts, trimmed, rounded):
    # 27 = 0b00011011 next to a non-zero partner, so it gets a 4-bit window (SPARQ.md 3).
    pair = [27, 1]
    assert quantize(pair, Config.preset(opts, rounding=False))[0] == trimmed
    assert quantize(pair, Config.preset(opts))[0] == rounded


def test_worked_example_124_saturates_in_window():
    # s=3, q=15, dropped 4 is exactly half and q is odd: q would be 16, saturates to 15.
    assert quantize([124, 9], Config.preset(5))[0] == 120


@pytest.mark.parametrize("opts", [2, 3, 4, 5])
def test_lone_value_is_exact_for_4_bits(opts):
    x = np.array([[v, 0] for v in range(256)] + [[0, v] for v in range(256)])
    assert (quantize(x, Config.preset(opts)) == x).all()


def test_odd_k_pairs_last_element_with_zero():
    cfg = Config.preset(5)
    assert quantize([27, 9, 27], cfg).tolist() == [28, 9, 27]     # 27 alone is exact
    assert encode([27, 9, 27], cfg).shape == (2,)


# ---------------------------------------------------- exhaustive against the scalar model

@pytest.mark.parametrize("opts, rounding", CONFIGS, ids=CONFIG_IDS)
def test_all_pairs_against_scalar_model(opts, rounding):
    cfg = Config.preset(opts, rounding=rounding)
    codes = np.arange(1 << 16)
    pairs = np.stack([codes >> 8, codes & 0xFF], axis=-1)
    args = _scalar_args(cfg)
    expected_approx = np.array([scalar.approx_pair(int(a), int(b), *args) for a, b in pairs])
    expected_words = np.array([scalar.encode_pair(int(a), int(b), *args) for a, b in pairs])

    assert (quantize(pairs, cfg) == expected_approx).all()
    assert (encode(pairs, cfg)[:, 0] == expected_words).all()
    assert (decode(encode(pairs, cfg), cfg) == quantize(pairs, cfg)).all()


@pytest.mark.parametrize("opts, rounding", CONFIGS, ids=CONFIG_IDS)
def test_small_inputs_take_the_formula_path_and_agree(opts, rounding):
    cfg = Config.preset(opts, rounding=rounding)
    rng = np.random.default_rng(opts)
    x = rng.integers(0, 256, (7, 9))
    x[rng.random(x.shape) < 0.4] = 0
    expected = [scalar.approx_vector(row, *_scalar_args(cfg)) for row in x.tolist()]
    assert quantize(x, cfg).tolist() == [row[:9] for row in expected]


# ------------------------------------------------------------------------- matmul

@pytest.mark.parametrize("opts, rounding", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("stc", [False, True], ids=["dense", "stc"])
def test_matmul_against_plain_loops(opts, rounding, stc):
    cfg = Config.preset(opts, rounding=rounding)
    rng = np.random.default_rng(100 + opts)
    for M, K, N in [(1, 1, 1), (3, 7, 2), (4, 8, 5), (2, 13, 3)]:
        a = rng.integers(0, 256, (M, K))
        a[rng.random(a.shape) < 0.5] = 0
        w = rng.integers(-128, 128, (K, N))
        if stc:
            w = _prune_2to4(w, rng)
        expected = scalar.matmul(a.tolist(), w.tolist(), *_scalar_args(cfg), stc=stc)
        assert matmul(a, w, cfg, stc=stc).tolist() == expected


def _prune_2to4(w, rng):
    """Keep 0, 1 or 2 weights of each aligned group of 4 along K."""
    w = w.copy()
    for g in range(0, w.shape[0], 4):
        for j in range(w.shape[1]):
            keep = rng.choice(4, size=rng.integers(0, 3), replace=False)
            for k in range(4):
                if k not in keep and g + k < w.shape[0]:
                    w[g + k, j] = 0
    return w


def test_matmul_wraps_like_the_accumulator():
    cfg = Config.preset(5)
    a = np.array([[255, 0] * 32])          # lone values are exact under 4 bits
    w = np.full((64, 1), -128)
    exact = 32 * 255 * -128
    assert matmul(a, w, cfg, acc_width=16)[0, 0] == scalar.wrap(exact, 16)
    assert matmul(a, w, cfg)[0, 0] == exact


def test_stc_with_dense_pairs_matches_dense_when_weights_are_2to4_in_place():
    # Non-zero weights at positions 0,1 of every group: STC pairs equal the dense pairs.
    cfg = Config.preset(3)
    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, (3, 8))
    w = rng.integers(1, 128, (8, 2))
    w[2::4] = w[3::4] = 0
    assert (matmul(a, w, cfg, stc=True) == matmul(a, w, cfg)).all()


def test_compress_2to4_layout():
    w = np.array([[0, 5], [3, 0], [0, 0], [-7, 0]])
    vals, pos = compress_2to4(w)
    assert vals[:, 0].tolist() == [3, -7] and pos[:, 0].tolist() == [1, 3]
    assert vals[:, 1].tolist() == [5, 0] and pos[:, 1].tolist() == [0, 0]


def test_wrap_matches_modular_arithmetic():
    v = np.array([-(2 ** 40), -129, -128, 127, 128, 2 ** 33 + 5])
    assert wrap(v, 8).tolist() == [scalar.wrap(int(x), 8) for x in v]


# --------------------------------------------------------------------- validation

def _valid_by_spec(bits, shifts):
    top = 8 - bits
    need = {u for t in range(8 - 2 * bits + 1) for u in (t, t + bits)}
    return (len(set(shifts)) == len(shifts) and all(0 <= s <= top for s in shifts)
            and {0, top} <= set(shifts) and need <= set(shifts))


@settings(max_examples=300, deadline=None)
@given(bits=st.integers(2, 4), shifts=st.lists(st.integers(-1, 9), min_size=0, max_size=8))
def test_config_accepts_exactly_the_valid_sets(bits, shifts):
    if _valid_by_spec(bits, shifts):
        assert Config(bits, shifts).shifts == tuple(sorted(shifts))
    else:
        with pytest.raises(ValueError):
            Config(bits, shifts)


@settings(max_examples=50, deadline=None)
@given(bits=st.integers(-3, 12).filter(lambda b: b not in (2, 3, 4)))
def test_config_rejects_bits_outside_2_to_4(bits):
    with pytest.raises(ValueError, match="bits"):
        Config(bits, (0, 8 - bits) if bits < 8 else (0,))


@pytest.mark.parametrize("bad, error", [
    ("4", TypeError), (4.0, TypeError), (True, TypeError),
])
def test_config_rejects_non_int_bits(bad, error):
    with pytest.raises(error, match="bits"):
        Config(bad, (0, 4))


@settings(max_examples=100, deadline=None)
@given(v=st.one_of(st.integers(max_value=-1), st.integers(min_value=256)))
def test_activations_out_of_range(v):
    with pytest.raises(ValueError, match=r"0\.\.255"):
        quantize([1, v], Config.preset(5))


@settings(max_examples=100, deadline=None)
@given(v=st.floats(0, 255).filter(lambda f: f != int(f)))
def test_fractional_activations(v):
    with pytest.raises(ValueError, match="whole numbers"):
        quantize([v, 1.0], Config.preset(5))


def test_whole_floats_are_accepted():
    cfg = Config.preset(5)
    assert quantize([27.0, 1.0], cfg).tolist() == quantize([27, 1], cfg).tolist()


@pytest.mark.parametrize("bad", [["a", "b"], [True, False], [1 + 2j]])
def test_non_numeric_activations(bad):
    with pytest.raises(TypeError, match="integers"):
        quantize(bad, Config.preset(5))


@settings(max_examples=100, deadline=None)
@given(v=st.one_of(st.integers(max_value=-129), st.integers(min_value=128)))
def test_weights_out_of_range(v):
    with pytest.raises(ValueError, match=r"-128\.\.127"):
        matmul([[1, 2]], [[v], [1]], Config.preset(5))


def test_shape_errors():
    cfg = Config.preset(5)
    with pytest.raises(ValueError, match="inner dimensions"):
        matmul(np.ones((2, 3)), np.ones((4, 1)), cfg)
    with pytest.raises(ValueError, match="shapes"):
        matmul(np.ones(3), np.ones((3, 1)), cfg)
    with pytest.raises(ValueError, match="axis"):
        quantize(5, cfg)


def test_stc_rejects_weights_that_are_not_2to4():
    w = np.zeros((8, 2), dtype=int)
    w[4:7, 1] = 3
    with pytest.raises(ValueError, match="column 1, rows 4..7"):
        matmul(np.ones((1, 8)), w, Config.preset(5), stc=True)


def test_config_type_is_checked():
    with pytest.raises(TypeError, match="Config"):
        quantize([1, 2], 5)


def test_preset_names():
    assert [Config.preset(o).name for o in sorted(PRESETS)] == [f"{o}opt" for o in sorted(PRESETS)]
    assert Config.preset(3, rounding=False).name == "3opt-trim"
    with pytest.raises(ValueError, match="opts"):
        Config.preset(8)
