"""golden.sparq against the paper's worked examples and an independent scalar model."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.sparq import (
    PRESETS,
    Config,
    bsparq,
    compress_2to4,
    decode,
    encode,
    matmul,
    pair_slots,
    quantize,
    wrap,
)
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


def _stc_reference(a, w, cfg, acc_width=32):
    """The original STC formulation: select per column, then quantize a (2G, N, M) block.

    Memory grows with M * N * K, so only for small inputs; kept to check the
    pattern-sharing path of golden.sparq against it.
    """
    a, w = np.asarray(a, np.int64), np.asarray(w, np.int64)
    vals, pos = compress_2to4(w)                          # (2G, N)
    pad = -a.shape[1] % 4
    a_groups = np.concatenate([a.T, np.zeros((pad, a.shape[0]), np.int64)])
    a_groups = a_groups.reshape(-1, 4, a.shape[0])        # (G, 4, M)
    group = np.arange(vals.shape[0])[:, None] // 2
    selected = np.where((vals != 0)[..., None], a_groups[group, pos], 0)   # (2G, N, M)
    approx = quantize(np.moveaxis(selected, 0, -1), cfg)  # (N, M, 2G): pairs along K
    return wrap(np.einsum("nmk,kn->mn", approx, vals), acc_width)


def _random_2to4(rng, K, N):
    """Random 2:4 weights: each group of each column keeps 0, 1 or 2 non-zero weights."""
    G = -(-K // 4)
    keep = rng.integers(0, 3, (G, 1, N))                  # how many survive in the group
    rank = np.argsort(rng.random((G, 4, N)), axis=1).argsort(axis=1)
    values = rng.integers(1, 128, (G, 4, N)) * rng.choice([-1, 1], (G, 4, N))
    w = np.where(rank < keep, values, 0).reshape(4 * G, N)[:K]
    w[:, :1] = 0                                          # an all-zero column
    return w


@pytest.mark.parametrize("opts, rounding", CONFIGS, ids=CONFIG_IDS)
def test_stc_equals_the_original_formulation_small(opts, rounding):
    cfg = Config.preset(opts, rounding=rounding)
    rng = np.random.default_rng(200 + opts)
    for M, K, N in [(1, 1, 2), (2, 2, 3), (3, 3, 4), (4, 5, 3), (5, 6, 2), (3, 7, 6),
                    (6, 9, 5), (2, 13, 7), (7, 31, 9)]:
        a = rng.integers(0, 256, (M, K))
        a[rng.random(a.shape) < 0.4] = 0
        w = _random_2to4(rng, K, N)
        assert (matmul(a, w, cfg, stc=True) == _stc_reference(a, w, cfg)).all(), (M, K, N)


@pytest.mark.parametrize("opts", [2, 5, 6, 7])
@pytest.mark.parametrize("M, K, N", [(64, 203, 48), (80, 130, 33), (33, 256, 65)])
def test_stc_equals_the_original_formulation_medium(opts, M, K, N):
    # M * K / 4 >= 2048 pairs per pattern: the pair-table path of quantize.
    cfg = Config.preset(opts)
    rng = np.random.default_rng(M * K + N + opts)
    a = rng.integers(0, 256, (M, K))
    a[rng.random(a.shape) < 0.3] = 0
    w = _random_2to4(rng, K, N)
    for acc_width in (32, 12):
        assert (matmul(a, w, cfg, stc=True, acc_width=acc_width)
                == _stc_reference(a, w, cfg, acc_width)).all()


def test_stc_memory_does_not_grow_with_m_times_n_times_k():
    # The original formulation peaked at about 145 MB here (a (2G, N, M) selection);
    # the inputs are 0.5 MB each as int64.
    cfg = Config.preset(5)
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (256, 256))
    w = _random_2to4(rng, 256, 256)
    matmul(a[:16], w, cfg, stc=True)                      # build the pair table outside the trace
    tracemalloc.start()
    try:
        matmul(a, w, cfg, stc=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # O(M*N*K) would be about 134 MB (int64); the per-pattern products need a few times the
    # operands, plus allocator noise that varies between runs (3 to 13 MB seen).
    assert peak < 32 * (a.nbytes + w.nbytes), f"peak {peak / 2**20:.1f} MB"


@pytest.mark.parametrize("stc", [False, True], ids=["dense", "stc"])
def test_matmul_is_exact_beyond_32_bits(stc):
    # Sums beyond 2**32 and full-range operands: the product must stay exact.
    cfg = Config.preset(5)
    K = 1 << 18
    a = np.full((1, K), 255)                              # 255 next to 255 is 240 in 5opt
    w = np.zeros((K, 2), dtype=np.int64)
    w[0::4, 0] = w[1::4, 0] = -128
    w[0::4, 1], w[1::4, 1] = 127, -128
    exact = [K // 2 * 240 * -128, K // 4 * 240 * (127 - 128)]
    assert matmul(a, w, cfg, stc=stc, acc_width=64)[0].tolist() == exact
    assert matmul(a, w, cfg, stc=stc)[0].tolist() == [scalar.wrap(v, 32) for v in exact]
    rng = np.random.default_rng(11)
    a, w = rng.integers(0, 256, (9, 4096)), _random_2to4(rng, 4096, 7)
    w[:, -1] = np.where(np.arange(4096) % 4 < 2, -128, 0)
    assert (matmul(a, w, cfg, stc=stc, acc_width=64)
            == (_stc_reference(a, w, cfg, 64) if stc else quantize(a, cfg) @ w)).all()


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


# ------------------------------------------------------------------ empty inputs

@pytest.mark.parametrize("shape", [(0,), (0, 4), (0, 3), (2, 0, 4), (3, 0), (2, 3, 0)])
def test_quantize_and_encode_of_empty_arrays(shape):
    cfg = Config.preset(5)
    x = np.zeros(shape, dtype=np.int64)
    q, words = quantize(x, cfg), encode(x, cfg)
    assert q.shape == shape and q.dtype == np.int64
    assert words.shape == shape[:-1] + (-(-shape[-1] // 2),) and words.dtype == np.uint32
    assert quantize([], cfg).shape == (0,)


@pytest.mark.parametrize("shape", [(0,), (0, 2), (3, 0), (2, 0, 3), (0, 0)])
def test_decode_of_empty_words(shape):
    out = decode(np.zeros(shape, dtype=np.uint32), Config.preset(3))
    assert out.shape == shape[:-1] + (2 * shape[-1],) and out.dtype == np.int64


@pytest.mark.parametrize("M, K, N", [(0, 4, 3), (0, 5, 2), (0, 0, 0), (3, 0, 2), (1, 0, 0),
                                     (3, 4, 0), (2, 3, 0), (0, 5, 0)])
@pytest.mark.parametrize("stc", [False, True], ids=["dense", "stc"])
def test_matmul_of_empty_shapes(M, K, N, stc):
    out = matmul(np.zeros((M, K), dtype=np.int64), np.zeros((K, N), dtype=np.int64),
                 Config.preset(5), stc=stc)
    assert out.shape == (M, N) and out.dtype == np.int64
    assert (out == 0).all()                               # K = 0: empty sums


def test_matmul_with_k_zero_and_nonempty_output_from_lists():
    assert matmul(np.zeros((2, 0)), np.zeros((0, 3)), Config.preset(2), stc=True).tolist() \
        == [[0, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("K, N, rows", [(0, 3, 0), (3, 0, 2), (0, 0, 0), (5, 0, 4)])
def test_compress_2to4_of_empty_shapes(K, N, rows):
    vals, pos = compress_2to4(np.zeros((K, N), dtype=np.int64))
    assert vals.shape == pos.shape == (rows, N)


def test_wrap_pair_slots_and_bsparq_of_empty_arrays():
    cfg = Config.preset(6)
    assert wrap(np.zeros((0, 2), dtype=np.int64), 8).shape == (0, 2)
    assert wrap([], 16).shape == (0,)
    slots = pair_slots(np.zeros((0, 3)), np.zeros((0, 3)), cfg)
    assert all(v.shape == (0, 3) for v in slots.values())
    q, s = bsparq(np.zeros((2, 0)), cfg.bits, cfg.shifts, True)
    assert q.shape == s.shape == (2, 0)


# ----------------------------------------------- error types: TypeError vs ValueError

@pytest.mark.parametrize("bad", [32.0, "32", True, np.True_, None])
def test_acc_width_of_the_wrong_type(bad):
    with pytest.raises(TypeError, match=r"acc_width must be an int in 2\.\.64, got " + repr(bad)):
        matmul([[1]], [[1]], Config.preset(5), acc_width=bad)
    with pytest.raises(TypeError, match=r"acc_width must be an int in 2\.\.64"):
        wrap([1], bad)


@pytest.mark.parametrize("bad", [1, 0, -1, 65, 128])
def test_acc_width_out_of_range(bad):
    with pytest.raises(ValueError, match=rf"acc_width must be in 2\.\.64, got {bad}"):
        matmul([[1]], [[1]], Config.preset(5), acc_width=bad)
    with pytest.raises(ValueError, match=rf"acc_width must be in 2\.\.64, got {bad}"):
        wrap([1], bad)


def test_acc_width_accepts_numpy_ints():
    assert wrap([200], np.int64(8)).tolist() == [-56]
    assert matmul([[3, 0]], [[1], [1]], Config.preset(5), acc_width=np.int32(2)).tolist() == [[-1]]


@pytest.mark.parametrize("bad", [1, 0, "yes", None, 1.0])
def test_stc_must_be_a_bool(bad):
    with pytest.raises(TypeError, match=r"stc must be a bool, got " + repr(bad)):
        matmul([[1]], [[1]], Config.preset(5), stc=bad)


def test_stc_accepts_numpy_bools():
    w = [[1], [0], [0], [0]]
    assert matmul([[9, 9, 9, 9]], w, Config.preset(5), stc=np.True_).tolist() == [[9]]


@pytest.mark.parametrize("bad, error", [
    (["a"], TypeError), ([True], TypeError), ([1.5], ValueError), ([2 ** 63], ValueError),
    (np.array([2.0 ** 63]), ValueError), ([-(2 ** 63) - 1], ValueError),
])
def test_wrap_checks_its_values(bad, error):
    with pytest.raises(error, match="values"):
        wrap(bad, 32)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("width", [2, 8, 31, 32, 33, 62, 63, 64])
def test_wrap_at_every_width_without_overflow_warnings(width):
    v = [-(2 ** 63), -(2 ** 62) - 1, -129, -1, 0, 1, 127, 2 ** 40 + 5, 2 ** 62, 2 ** 63 - 1]
    assert wrap(v, width).tolist() == [scalar.wrap(x, width) for x in v]
    assert wrap(2 ** 63 - 1, width).tolist() == scalar.wrap(2 ** 63 - 1, width)      # 0-d


def test_wrap_keeps_the_int64_extremes():
    v = np.array([-(2 ** 63), 2 ** 63 - 1])
    assert wrap(v, 64).tolist() == v.tolist()
    assert wrap(v, 8).tolist() == [0, -1]


@pytest.mark.parametrize("bad, error", [("5", TypeError), (5.0, TypeError), (True, TypeError),
                                        (1, ValueError), (8, ValueError)])
def test_preset_opts_errors(bad, error):
    with pytest.raises(error, match=r"opts must be .*2\.\.7"):
        Config.preset(bad)


@pytest.mark.parametrize("args, error, message", [
    (([300], 4, (0, 4), True), ValueError, r"0\.\.255, got 300"),
    (([1.5], 4, (0, 4), True), ValueError, "whole numbers, got 1.5"),
    ((["a"], 4, (0, 4), True), TypeError, "integers"),
    (([1], 4.0, (0, 4), True), TypeError, r"bits must be an int in 1\.\.8, got 4.0"),
    (([1], 9, (0,), True), ValueError, r"bits must be in 1\.\.8, got 9"),
    (([1], 4, (0, 3), True), ValueError, r"end at 4 .*got \(0, 3\)"),
    (([1], 4, (4, 0), True), ValueError, "strictly ascending"),
    (([1], 4, (0, 5), True), ValueError, r"each shift must be in 0\.\.4, got 5"),
    (([1], 4, 4, True), TypeError, "sequence"),
    (([1], 4, (0, 4), 1), TypeError, "rounding must be a bool, got 1"),
])
def test_bsparq_argument_errors(args, error, message):
    with pytest.raises(error, match=message):
        bsparq(*args)


@pytest.mark.parametrize("x0, x1, error, message", [
    ([1, 2], [1, 2, 3], ValueError, r"broadcastable shapes, got \(2,\) and \(3,\)"),
    ([1], [256], ValueError, r"x1 must be in 0\.\.255, got 256"),
    ([-1], [1], ValueError, r"x0 must be in 0\.\.255, got -1"),
    ([1.0], ["a"], TypeError, "integers"),
])
def test_pair_slots_argument_errors(x0, x1, error, message):
    with pytest.raises(error, match=message):
        pair_slots(x0, x1, Config.preset(5))
    with pytest.raises(TypeError, match="Config"):
        pair_slots([1], [1], 5)


def test_pair_slots_broadcasts_like_explicit_arrays():
    cfg = Config.preset(3)
    x0, x1 = [[27], [0], [5]], [9, 0, 200]
    got = pair_slots(x0, x1, cfg)
    full = pair_slots(np.broadcast_to(x0, (3, 3)), np.broadcast_to(x1, (3, 3)), cfg)
    assert all(got[k].shape == (3, 3) and (got[k] == full[k]).all() for k in full)
    # Row x0 = 0: a lone x1 (9, 200) puts its lower bits in A, which takes the partner's weight.
    assert (got["a_mux"][1].tolist(), got["b_mux"][1].tolist()) == ([1, 0, 1], [0, 0, 0])
