"""Port values of whole operand blocks as 32-bit words, vectorized (no Python per beat).

The same packing as :mod:`verif.sa_ports` and :mod:`verif.tc_ports` (which the
cocotb benches use, one Python int per beat), in the layout Verilator gives a
port in C++: ``ceil(width / 32)`` little-endian 32-bit words, element 0 in the
least significant bits.  The tests check the two against each other.
"""

from __future__ import annotations

import numpy as np

from golden.sparq import compress_2to4

__all__ = ["words_of", "port_words", "sa_act_words", "sa_weight_words", "tc_a_words",
           "tc_b_words", "stc_weight_words", "to_ints", "fields_of"]


def port_words(width: int) -> int:
    """32-bit words of a ``width``-bit port in a Verilated model (at least one)."""
    return max(1, -(-width // 32))


def words_of(fields: np.ndarray, width: int) -> np.ndarray:
    """``(..., n)`` integer fields of ``width`` bits as ``(..., port_words(n * width))`` uint32.

    Field 0 sits in the least significant bits; negative fields are taken
    modulo ``2**width`` (two's complement), as a port holds them.
    """
    fields = np.asarray(fields, np.int64).astype(np.uint64)     # two's complement, 64 bits
    lead, n = fields.shape[:-1], fields.shape[-1]
    total = port_words(n * width)
    f = fields & np.uint64((1 << width) - 1)
    if width in (8, 16, 32, 64) and (n * width) % 32 == 0:
        raw = f.astype({8: "<u1", 16: "<u2", 32: "<u4", 64: "<u8"}[width])
        return np.ascontiguousarray(raw).view("<u4").reshape(lead + (total,))
    shifts = np.arange(width, dtype=np.uint64)
    bits = ((f[..., None] >> shifts) & np.uint64(1)).astype(np.uint8)
    bits = bits.reshape(lead + (n * width,))
    pad = total * 32 - n * width
    if pad:
        bits = np.concatenate([bits, np.zeros(lead + (pad,), np.uint8)], axis=-1)
    packed = np.packbits(bits, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u4").reshape(lead + (total,))


def to_ints(words: np.ndarray) -> list[int]:
    """Each row of ``(..., W)`` words as one Python int (for checks and the cocotb path)."""
    flat = np.asarray(words, np.uint32).reshape(-1, words.shape[-1])
    return [int.from_bytes(row.astype("<u4").tobytes(), "little") for row in flat]


def _lanes(x: np.ndarray, axis: int, step: int, bits: int) -> np.ndarray:
    """``step`` consecutive elements along ``axis`` side by side in one field (element 0 low)."""
    parts = [np.take(x, np.arange(i, x.shape[axis], step), axis=axis) & ((1 << bits) - 1)
             for i in range(step)]
    return sum(p << (i * bits) for i, p in enumerate(parts))


def sa_act_words(a_blocks: np.ndarray, k_step: int, act_bits: int) -> np.ndarray:
    """``in_act`` of every beat of every A block: ``(NA, beats, words)``; row 0 in the LSBs."""
    lanes = _lanes(a_blocks, 2, k_step, act_bits)            # (NA, rows, beats)
    return words_of(lanes.transpose(0, 2, 1), k_step * act_bits)


def sa_weight_words(w_blocks: np.ndarray, k_step: int) -> np.ndarray:
    """``in_weight`` of every beat of every W block: ``(NW, beats, words)``; column 0 low."""
    lanes = _lanes(w_blocks, 1, k_step, 8)                   # (NW, beats, cols)
    return words_of(lanes, 8 * k_step)


def _steps(x: np.ndarray, axis: int, k_step: int) -> np.ndarray:
    """Split ``axis`` (a multiple of ``k_step``) into (steps, k_step) at that place."""
    shape = x.shape[:axis] + (x.shape[axis] // k_step, k_step) + x.shape[axis + 1:]
    return x.reshape(shape)


def tc_a_words(a_blocks: np.ndarray, k_step: int) -> np.ndarray:
    """``in_a[r][k]`` of every step: ``(NA, steps, words)``, element (r, k) at (r*k_step+k)*8."""
    s = _steps(a_blocks, 2, k_step)                          # (NA, rows, steps, k_step)
    s = s.transpose(0, 2, 1, 3)                              # (NA, steps, rows, k_step)
    return words_of(s.reshape(s.shape[:2] + (-1,)), 8)


def tc_b_words(w_blocks: np.ndarray, k_step: int) -> np.ndarray:
    """``in_b[n][k] = W[k0 + k][n]`` of every step: ``(NW, steps, words)``."""
    s = _steps(w_blocks, 1, k_step)                          # (NW, steps, k_step, cols)
    s = s.transpose(0, 1, 3, 2)                              # (NW, steps, cols, k_step)
    return words_of(s.reshape(s.shape[:2] + (-1,)), 8)


def stc_weight_words(w_blocks: np.ndarray, k_step: int) -> tuple[np.ndarray, np.ndarray]:
    """``(in_values, in_positions)`` of every step of every 2:4 W block."""
    values, positions = zip(*(compress_2to4(w) for w in w_blocks), strict=True)
    h = k_step // 2
    out = []
    for data, bits in ((np.stack(values), 8), (np.stack(positions), 2)):
        s = _steps(data, 1, h)                               # (NW, steps, h, cols)
        s = s.transpose(0, 1, 3, 2)                          # (NW, steps, cols, h)
        out.append(words_of(s.reshape(s.shape[:2] + (-1,)), bits))
    return out[0], out[1]


def fields_of(words: np.ndarray, width: int, count: int, signed: bool = True) -> np.ndarray:
    """The inverse of :func:`words_of`: ``(..., W)`` uint32 words to ``(..., count)`` int64."""
    words = np.ascontiguousarray(np.asarray(words, "<u4"))
    lead = words.shape[:-1]
    if width in (8, 16, 32, 64) and words.shape[-1] * 32 >= count * width:
        kind = {8: "<u1", 16: "<u2", 32: "<u4", 64: "<u8"}[width]
        raw = words.view(kind)[..., :count].astype(np.uint64)
    else:
        bits = np.unpackbits(words.view(np.uint8), axis=-1, bitorder="little")
        bits = bits[..., :count * width].reshape(lead + (count, width)).astype(np.uint64)
        raw = (bits << np.arange(width, dtype=np.uint64)).sum(axis=-1, dtype=np.uint64)
    if signed and width < 64:
        sign = np.uint64(1 << (width - 1))
        return (raw ^ sign).astype(np.int64) - np.int64(1 << (width - 1))
    return raw.view(np.int64) if signed else raw.astype(np.int64)
