"""Bit-exact numpy golden model of SPARQ arithmetic.

The rules are those of ``shared/SPARQ.md`` (binding for this project): bSPARQ
windows with round-half-to-even and in-window saturation, vSPARQ pairs along the
reduction axis, the packed pair word, and 2:4 sparse tensor-core pairing.

Everything is vectorized.  Large inputs go through a 65,536-entry table indexed
by the activation pair; the table is produced by the same vectorized functions
that handle small inputs, so there is one definition of the arithmetic.
Products run through float64 BLAS, which is exact for these operands (every
partial sum is an integer below 2**53), and the 2:4 sparse product quantizes
each group's ten position patterns once for all columns, so its memory is that
of the dense product.

Packed pair word layout (``encode``)
------------------------------------
A pair ``(x[2j], x[2j+1])`` becomes two slots, A (LSBs) then B::

    word  = slot_A | slot_B << slot_width
    slot  = data | idx << n | mux << (n + idx_bits)

``data`` holds ``n`` bits, ``idx`` indexes the ascending shift set ``S``
(``idx_bits = ceil(log2 |S|)``), ``mux`` is 0 for "multiply by my own weight"
(A: ``w[2j]``, B: ``w[2j+1]``) and 1 for "multiply by my partner's weight".
``slot_width = n + idx_bits + 1`` and ``word_width = 2 * slot_width``.  This is
the same bit order as :class:`hdl.layouts.PairWord` (Amaranth packs the first
field of a struct at the LSB).
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PRESETS", "Config", "quantize", "encode", "decode", "matmul",
    "bsparq", "pair_slots", "compress_2to4", "wrap",
]

#: Preset name -> (n data bits, allowed window shifts S); SPARQ.md section 2.
PRESETS: dict[int, tuple[int, tuple[int, ...]]] = {
    2: (4, (0, 4)),
    3: (4, (0, 2, 4)),
    4: (4, (0, 2, 3, 4)),
    5: (4, (0, 1, 2, 3, 4)),
    6: (3, (0, 1, 2, 3, 4, 5)),
    7: (2, (0, 1, 2, 3, 4, 5, 6)),
}

#: Width of an activation code and of a weight.
ACT_BITS = 8

#: Largest magnitude of an activation times a weight (255 * -128).
_MAX_PRODUCT = ((1 << ACT_BITS) - 1) << (ACT_BITS - 1)

#: float64 adds integers exactly while every partial sum stays below 2**53.
_FLOAT_EXACT = 1 << 53

#: Selections of a 2:4 group by one output column: two positions, or one
#: (paired with an implicit zero).  A column selecting nothing adds nothing.
_GROUP_PATTERNS = tuple(itertools.combinations(range(4), 2)) + tuple((p,) for p in range(4))

# Inputs with at least this many pairs use the pair table instead of the formulas.
_TABLE_MIN_PAIRS = 2048


@dataclass(frozen=True)
class Config:
    """A SPARQ configuration ``(n, S, rounding)``.

    Parameters
    ----------
    bits : int
        Data bits per slot, ``n``, 2 to 4.
    shifts : sequence of int
        Allowed window shifts ``S``; stored ascending.  Must contain 0 and
        ``8 - n``, lie in ``0..8-n``, have no duplicates, and contain ``t`` and
        ``t + n`` for every lone-value placement ``t`` in ``0..8-2n`` (so the
        2n-bit window of a lone value splits into two slots).
    rounding : bool
        Round half to even inside the window (the paper's "+Round"); ``False``
        is the paper's "Trim".
    """

    bits: int
    shifts: tuple[int, ...]
    rounding: bool = True

    def __post_init__(self):
        _check_int(self.bits, "bits", 2, 4)
        _check_bool(self.rounding, "rounding")
        try:
            shifts = tuple(self.shifts)
        except TypeError:
            raise TypeError(f"shifts must be a sequence of ints, got {self.shifts!r}") from None
        for s in shifts:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral):
                raise TypeError(f"shifts must be ints, got {s!r} in {shifts!r}")
        top = ACT_BITS - self.bits
        if len(set(shifts)) != len(shifts):
            raise ValueError(f"shifts {shifts!r} contain duplicates")
        bad = [s for s in shifts if not 0 <= s <= top]
        if bad:
            raise ValueError(f"shift {bad[0]} outside 0..{top} (an {self.bits}-bit window "
                             f"must fit in 8 bits)")
        if 0 not in shifts or top not in shifts:
            raise ValueError(f"shifts {shifts!r} must contain 0 and {top} (8 - bits)")
        missing = sorted({u for t in range(ACT_BITS - 2 * self.bits + 1)
                          for u in (t, t + self.bits)} - set(shifts))
        if missing:
            raise ValueError(f"shifts {shifts!r} cannot hold a lone value's {2 * self.bits}-bit "
                             f"window split into two slots: missing {missing}")
        object.__setattr__(self, "bits", int(self.bits))
        object.__setattr__(self, "shifts", tuple(sorted(int(s) for s in shifts)))
        object.__setattr__(self, "rounding", bool(self.rounding))

    @classmethod
    def preset(cls, opts: int, rounding: bool = True) -> Config:
        """The ``{opts}opt`` configuration of SPARQ.md section 2 (2 to 7)."""
        _check_int(opts, "opts", min(PRESETS), max(PRESETS))
        bits, shifts = PRESETS[int(opts)]
        return cls(bits, shifts, rounding)

    @property
    def name(self) -> str:
        """``5opt``, ``3opt-trim``, or ``n3-s0.1.2.3.4.5`` for a custom set."""
        base = next((f"{k}opt" for k, v in PRESETS.items() if v == (self.bits, self.shifts)),
                    f"n{self.bits}-s{'.'.join(map(str, self.shifts))}")
        return base if self.rounding else base + "-trim"

    @property
    def lone_shifts(self) -> tuple[int, ...]:
        """Placements ``t`` of a lone value's ``2n``-bit window."""
        return tuple(range(ACT_BITS - 2 * self.bits + 1))

    @property
    def idx_bits(self) -> int:
        """Width of a slot's shift index."""
        return max(1, math.ceil(math.log2(len(self.shifts))))

    @property
    def slot_width(self) -> int:
        return self.bits + self.idx_bits + 1

    @property
    def word_width(self) -> int:
        return 2 * self.slot_width

    def shift_index(self, shift: int) -> int:
        """Index of ``shift`` in ``S``."""
        return self.shifts.index(shift)


# --------------------------------------------------------------------------- inputs

def _check_int(value, name: str, lo: int, hi: int) -> int:
    """``value`` as an int, refusing non-integers (TypeError) and values outside ``lo..hi``."""
    # bool is an Integral, but True as a width or a count is always a mistake.
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int in {lo}..{hi}, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}, got {value}")
    return int(value)


def _check_bool(value, name: str) -> bool:
    """``value`` as a bool; 0, 1 or None are refused rather than read as flags."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def _as_ints(x, lo: int, hi: int, what: str) -> np.ndarray:
    """``x`` as an int64 array, refusing non-integers and values outside ``lo..hi``."""
    arr = np.asarray(x)
    if arr.dtype.kind == "O" and all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                     for v in arr.flat):
        # Python ints (possibly beyond int64): report the first out-of-range one.
        big = next((v for v in arr.flat if not lo <= v <= hi), None)
        if big is not None:
            raise ValueError(f"{what} must be in {lo}..{hi}, got {big}")
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{what} must be integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise ValueError(f"{what} must be whole numbers, got {arr[bad].flat[0].item()!r} "
                             f"at index {tuple(int(i) for i in np.argwhere(bad)[0])}")
    if arr.size:
        # ``>= hi + 1``, not ``> hi``: float(2**63 - 1) rounds up to 2**63, which
        # would pass ``> hi`` and then overflow int64.
        out = (arr < lo) | (arr >= hi + 1)
        if out.any():
            raise ValueError(f"{what} must be in {lo}..{hi}, got {arr[out].flat[0].item()} "
                             f"at index {tuple(int(i) for i in np.argwhere(out)[0])}")
    return arr.astype(np.int64, copy=False)


def _as_config(cfg) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a golden.sparq.Config, got {type(cfg).__name__}")
    return cfg


def _pairs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Even and odd elements along the last axis, an odd length padded with 0."""
    if x.ndim == 0:
        raise ValueError("activations need at least one axis (pairs run along the last axis)")
    if x.shape[-1] % 2:
        x = np.concatenate([x, np.zeros(x.shape[:-1] + (1,), x.dtype)], axis=-1)
    return x[..., 0::2], x[..., 1::2]


def _interleave(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Pairs ``(..., P)`` and ``(..., P)`` back into ``(..., 2P)``."""
    # An explicit length, not -1: numpy cannot infer -1 when another axis is 0.
    return np.stack([x0, x1], axis=-1).reshape(x0.shape[:-1] + (2 * x0.shape[-1],))


# ----------------------------------------------------------------------- arithmetic

def bsparq(x, bits: int, shifts, rounding: bool) -> tuple[np.ndarray, np.ndarray]:
    """Trim (and round) values into a ``bits``-wide window; SPARQ.md section 3.

    Parameters
    ----------
    x : array_like of int
        Activation codes 0..255.
    bits : int
        Window width, 1 to 8.
    shifts : sequence of int
        Allowed window shifts, strictly ascending, ending at ``8 - bits`` (so
        every code fits some window).
    rounding : bool
        Round half to even on the dropped bits, saturating inside the window.

    Returns
    -------
    q, s : ndarray of int64
        The window contents and its shift, so the approximated value is ``q << s``.
    """
    bits = _check_int(bits, "bits", 1, ACT_BITS)
    try:
        shifts = tuple(shifts)
    except TypeError:
        raise TypeError(f"shifts must be a sequence of ints, got {shifts!r}") from None
    for sh in shifts:
        _check_int(sh, "each shift", 0, ACT_BITS - bits)
    if not shifts or shifts[-1] != ACT_BITS - bits or list(shifts) != sorted(set(shifts)):
        raise ValueError(f"shifts must be strictly ascending and end at {ACT_BITS - bits} "
                         f"(8 - bits), got {shifts!r}")
    rounding = _check_bool(rounding, "rounding")
    return _bsparq(_as_ints(x, 0, 255, "activations"), bits, shifts, rounding)


def _bsparq(x: np.ndarray, bits: int, shifts, rounding: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bsparq` on checked arguments."""
    s = np.full(x.shape, shifts[-1], dtype=np.int64)
    for sh in reversed(shifts[:-1]):        # ascending priority: lowest window that fits wins
        s = np.where(x < (1 << (sh + bits)), sh, s)
    q = x >> s
    if rounding:
        dropped = x & ((1 << s) - 1)
        half = np.where(s > 0, 1 << np.maximum(s - 1, 0), 0)
        up = (s > 0) & ((dropped > half) | ((dropped == half) & (q & 1 == 1)))
        q = np.minimum(q + up, (1 << bits) - 1)     # saturate inside the same window
    return q, s


def _lone(x, cfg: Config):
    """The 2n-bit window of a value whose partner is zero."""
    return _bsparq(x, 2 * cfg.bits, cfg.lone_shifts, cfg.rounding)


def _approx_pairs(x0: np.ndarray, x1: np.ndarray, cfg: Config):
    """Approximated values of pairs, by the formulas of SPARQ.md section 4."""
    q0, s0 = _bsparq(x0, cfg.bits, cfg.shifts, cfg.rounding)
    q1, s1 = _bsparq(x1, cfg.bits, cfg.shifts, cfg.rounding)
    ql, tl = _lone(x0 | x1, cfg)
    lone = ql << tl
    z0, z1 = x0 == 0, x1 == 0
    both = ~z0 & ~z1
    a0 = np.where(both, q0 << s0, np.where(z1, lone, 0))
    a1 = np.where(both, q1 << s1, np.where(z0 & ~z1, lone, 0))
    return a0, a1


def pair_slots(x0, x1, cfg: Config) -> dict[str, np.ndarray]:
    """The slot fields of pairs (SPARQ.md section 6).

    Parameters
    ----------
    x0, x1 : array_like of int
        The pairs' activation codes 0..255, of equal (or broadcastable) shapes.
    cfg : Config

    Returns
    -------
    dict of ndarray
        ``a_data, a_idx, a_mux, b_data, b_idx, b_mux``, in the broadcast shape.
    """
    cfg = _as_config(cfg)
    x0 = _as_ints(x0, 0, 255, "activations x0")
    x1 = _as_ints(x1, 0, 255, "activations x1")
    try:
        x0, x1 = np.broadcast_arrays(x0, x1)
    except ValueError:
        raise ValueError(f"x0 and x1 must have broadcastable shapes, got {x0.shape} "
                         f"and {x1.shape}") from None
    return _pair_slots(x0, x1, cfg)


def _pair_slots(x0: np.ndarray, x1: np.ndarray, cfg: Config) -> dict[str, np.ndarray]:
    """:func:`pair_slots` on checked int64 arrays of one shape."""
    n = cfg.bits
    idx_of = np.full(ACT_BITS + 1, -1, dtype=np.int64)
    idx_of[list(cfg.shifts)] = np.arange(len(cfg.shifts))

    q0, s0 = _bsparq(x0, n, cfg.shifts, cfg.rounding)
    q1, s1 = _bsparq(x1, n, cfg.shifts, cfg.rounding)
    ql, tl = _lone(x0 | x1, cfg)
    upper, lower = ql >> n, ql & ((1 << n) - 1)
    up_idx, low_idx = idx_of[tl + n], idx_of[tl]

    z0, z1 = x0 == 0, x1 == 0
    both, only0, only1 = ~z0 & ~z1, ~z0 & z1, z0 & ~z1
    zero = np.zeros_like(x0)
    pick = lambda b, o0, o1: np.select([both, only0, only1], [b, o0, o1], zero)  # noqa: E731
    return {
        "a_data": pick(q0, upper, lower),
        "a_idx": pick(idx_of[s0], up_idx, low_idx),
        "a_mux": pick(zero, zero, zero + 1),
        "b_data": pick(q1, lower, upper),
        "b_idx": pick(idx_of[s1], low_idx, up_idx),
        "b_mux": pick(zero, zero + 1, zero),
    }


def _pack(slots: dict[str, np.ndarray], cfg: Config) -> np.ndarray:
    n, k, w = cfg.bits, cfg.idx_bits, cfg.slot_width

    def slot(p):
        return slots[p + "_data"] | slots[p + "_idx"] << n | slots[p + "_mux"] << (n + k)

    return slot("a") | slot("b") << w


@functools.lru_cache(maxsize=64)
def _tables(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """Tables indexed by the pair index ``x0 * 256 + x1``.

    The approximations of a pair are two little-endian uint16 packed into one
    uint32, so one 4-byte gather fetches both (twice as fast as a row gather).
    """
    codes = np.arange(1 << (2 * ACT_BITS), dtype=np.int64)
    x0, x1 = codes >> ACT_BITS, codes & 0xFF
    approx = np.stack(_approx_pairs(x0, x1, cfg), axis=-1).astype("<u2").view("<u4").ravel()
    words = _pack(_pair_slots(x0, x1, cfg), cfg).astype(np.uint32)
    approx.setflags(write=False)
    words.setflags(write=False)
    return approx, words


def _quantize(x: np.ndarray, cfg: Config) -> np.ndarray:
    """:func:`quantize` on a checked int64 array."""
    k = x.shape[-1] if x.ndim else 0
    x0, x1 = _pairs(x)
    if x0.size >= _TABLE_MIN_PAIRS:
        packed = np.take(_tables(cfg)[0], (x0 << ACT_BITS) | x1)
        out = packed.view("<u2").astype(np.int64)      # (..., P) uint32 -> (..., 2P)
    else:
        out = _interleave(*_approx_pairs(x0, x1, cfg))
    return out[..., :k]


def _exact_matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x @ w`` (int64) of activations 0..255 and weights -128..127, exactly.

    numpy has no BLAS for integers: its int64 matmul is some 50 times slower
    than float64 BLAS.  float64 is exact here because every partial sum, in any
    order, is an integer of magnitude at most ``K * 255 * 128 < 2**53``.
    """
    if x.shape[-1] * _MAX_PRODUCT >= _FLOAT_EXACT:
        return x @ w                                    # K > 2.7e11: only with M or N = 0
    return (x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)


# ------------------------------------------------------------------------ public API

def quantize(x, cfg: Config) -> np.ndarray:
    """Approximated activations (int64, same shape as ``x``).

    ``x`` holds activation codes 0..255; pairs run along the last axis and an
    odd length pairs its last element with an implicit zero.
    """
    cfg = _as_config(cfg)
    return _quantize(_as_ints(x, 0, 255, "activations"), cfg)


def encode(x, cfg: Config) -> np.ndarray:
    """Packed pair words (uint32), shape ``x.shape[:-1] + (ceil(K / 2),)``.

    See the module docstring for the bit layout.
    """
    cfg = _as_config(cfg)
    x = _as_ints(x, 0, 255, "activations")
    x0, x1 = _pairs(x)
    if x0.size >= _TABLE_MIN_PAIRS:
        return _tables(cfg)[1][(x0 << ACT_BITS) | x1]
    return _pack(_pair_slots(x0, x1, cfg), cfg).astype(np.uint32)


def decode(words, cfg: Config) -> np.ndarray:
    """Approximated activations (int64) of packed pair words, two per word.

    The result has shape ``words.shape[:-1] + (2 * words.shape[-1],)``.
    """
    cfg = _as_config(cfg)
    words = _as_ints(words, 0, (1 << cfg.word_width) - 1, "pair words")
    if words.ndim == 0:
        raise ValueError("pair words need at least one axis")
    n, k, w = cfg.bits, cfg.idx_bits, cfg.slot_width
    shifts = np.array(cfg.shifts, dtype=np.int64)

    def slot(word):
        idx = (word >> n) & ((1 << k) - 1)
        if (idx >= len(shifts)).any():
            raise ValueError(f"pair word has shift index {int(idx.max())}, "
                             f"but S has {len(shifts)} entries (0..{len(shifts) - 1})")
        value = (word & ((1 << n) - 1)) << shifts[np.minimum(idx, len(shifts) - 1)]
        return value, (word >> (n + k)) & 1

    va, ma = slot(words & ((1 << w) - 1))
    vb, mb = slot(words >> w)
    x0 = np.where(ma == 0, va, 0) + np.where(mb == 1, vb, 0)
    x1 = np.where(mb == 0, vb, 0) + np.where(ma == 1, va, 0)
    return _interleave(x0, x1)


def wrap(v, acc_width: int) -> np.ndarray:
    """Two's-complement wrap of int64 values to ``acc_width`` bits.

    Parameters
    ----------
    v : array_like of int
        Values in the int64 range.
    acc_width : int
        Accumulator width, 2 to 64.
    """
    acc_width = _check_int(acc_width, "acc_width", 2, 64)
    return _wrap(_as_ints(v, -(1 << 63), (1 << 63) - 1, "values"), acc_width)


def _wrap(v: np.ndarray, acc_width: int) -> np.ndarray:
    """:func:`wrap` on a checked int64 array and width."""
    if acc_width >= 64:
        return v
    # Keep the low bits, then flip the sign bit and subtract it: nothing here can
    # overflow int64 (``(v + half) & (2 * half - 1)`` did at 63 bits and warned).
    half = np.int64(1 << (acc_width - 1))
    return ((v & np.int64((1 << acc_width) - 1)) ^ half) - half


def compress_2to4(w) -> tuple[np.ndarray, np.ndarray]:
    """Compress 2:4-sparse weights ``(K, N)`` along K.

    Returns ``(values, positions)``, both ``(K4 // 2, N)`` where ``K4`` is K
    rounded up to a multiple of 4: for group ``g`` the rows ``2g`` and ``2g+1``
    hold the non-zero weights in ascending position order and their 2-bit
    positions inside the group.  A missing weight is 0 with position 0.
    """
    w = _as_ints(w, -128, 127, "weights")
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D (K, N), got shape {w.shape}")
    vals, pos = _compress_2to4(w)
    G, _, N = vals.shape
    return vals.reshape(2 * G, N), pos.reshape(2 * G, N)


def _compress_2to4(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`compress_2to4` of checked weights, as ``(G, 2, N)`` arrays."""
    groups = _groups_of_4(w)                               # (G, 4, N)
    nz = groups != 0
    counts = nz.sum(axis=1)
    if (counts > 2).any():
        g, col = (int(i) for i in np.argwhere(counts > 2)[0])
        raise ValueError(f"weights are not 2:4 sparse: column {col}, rows {4 * g}..{4 * g + 3} "
                         f"have {int(counts[g, col])} non-zero values (at most 2 allowed)")
    first = np.argmax(nz, axis=1)
    last = 3 - np.argmax(nz[:, ::-1], axis=1)
    pos = np.stack([np.where(counts > 0, first, 0), np.where(counts > 1, last, 0)], axis=1)
    vals = np.take_along_axis(groups, pos, axis=1)
    vals[:, 1][counts < 2] = 0
    pos[:, 1][counts < 2] = 0
    return vals, pos


def _groups_of_4(m: np.ndarray) -> np.ndarray:
    """Rows of ``m`` (K, ...) zero-padded to a multiple of 4 and split into groups of 4."""
    pad = -m.shape[0] % 4
    if pad:
        m = np.concatenate([m, np.zeros((pad,) + m.shape[1:], m.dtype)])
    # An explicit group count, not -1: numpy cannot infer -1 when another axis is 0.
    return m.reshape((m.shape[0] // 4, 4) + m.shape[1:])


def matmul(a, w, cfg: Config, stc: bool = False, acc_width: int = 32) -> np.ndarray:
    """Exact SPARQ product of activations ``a`` (M, K) and weights ``w`` (K, N).

    Parameters
    ----------
    a : array_like of int, shape (M, K)
        Activation codes 0..255.
    w : array_like of int, shape (K, N)
        Weights -128..127; with ``stc`` they must be 2:4 sparse along K.
    cfg : Config
    stc : bool
        Sparse tensor core: each output column pairs the activations its
        non-zero weights select (SPARQ.md section 5).
    acc_width : int
        Accumulator width, 2 to 64; the result wraps like the accumulator.

    Returns
    -------
    ndarray of int64, shape (M, N)
    """
    cfg = _as_config(cfg)
    stc = _check_bool(stc, "stc")
    acc_width = _check_int(acc_width, "acc_width", 2, 64)
    a = _as_ints(a, 0, 255, "activations")
    w = _as_ints(w, -128, 127, "weights")
    if a.ndim != 2 or w.ndim != 2:
        raise ValueError(f"matmul needs a (M, K) and w (K, N), got shapes {a.shape} and {w.shape}")
    if a.shape[1] != w.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {a.shape}, w is {w.shape}")
    out = _stc_matmul(a, w, cfg) if stc else _exact_matmul(_quantize(a, cfg), w)
    return _wrap(out, acc_width)


def _stc_matmul(a: np.ndarray, w: np.ndarray, cfg: Config) -> np.ndarray:
    """Unwrapped sparse tensor-core product of checked ``a`` (M, K) and ``w`` (K, N).

    A column's pair in group ``g`` depends only on which of the group's four
    positions it selects, so each of the ten selection patterns is quantized
    once for all columns, instead of once per column: ``out = sum over patterns
    P of approx(a selected by P) @ (weights of the columns that select P)``.
    Memory is that of the dense product (a few copies of ``a`` and ``w``), and
    the work is ten matrix products of at most ``(M, K/2) @ (K/2, N)``.
    """
    vals, pos = _compress_2to4(w)                         # (G, 2, N)
    G, _, N = vals.shape
    M = a.shape[0]
    a_groups = np.pad(a, ((0, 0), (0, 4 * G - a.shape[1]))).reshape(M, G, 4)
    counts = (vals != 0).sum(axis=1)                      # (G, N)
    out = np.zeros((M, N), dtype=np.int64)
    for pattern in _GROUP_PATTERNS:
        width = len(pattern)
        takes = counts == width                           # columns selecting exactly `pattern`
        for slot, p in enumerate(pattern):
            takes &= pos[:, slot] == p
        if not takes.any():
            continue
        # A one-position pattern is an odd-length pair: its partner is the implicit zero.
        approx = _quantize(a_groups[:, :, list(pattern)], cfg)     # (M, G, width)
        weights = np.where(takes[:, None, :], vals[:, :width], 0)       # (G, width, N)
        out += _exact_matmul(approx.reshape(M, G * width), weights.reshape(G * width, N))
    return out
