"""SA port packing: a GEMM as per-beat ``in_act`` and ``in_weight`` values.

One beat is one reduction step of ``k_step`` elements (a pair for the pair
variants, one element for 8b-8b), read from the PE variant's own attributes
(:mod:`hdl.sa.variants`), so a new variant needs no change here.
"""

from __future__ import annotations

import numpy as np

from golden.sparq import Config, encode
from verif.kit import pack

__all__ = ["act_beats", "weight_beats", "act_top"]


def act_top(pe_class) -> int:
    """One more than the largest activation code of the variant."""
    return 1 << pe_class.act_bits


def _pad(x: np.ndarray, axis: int, step: int) -> np.ndarray:
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, -x.shape[axis] % step)
    return np.pad(x, pad)


def act_beats(pe_class, config: Config | None, a: np.ndarray, packed: bool = False) -> list[int]:
    """Per beat, the ``in_act`` value of ``a`` (rows, K): one element per row.

    Raw codes: the ``k_step`` codes of a beat side by side, ``x[k_step*j]`` in
    the LSBs (for 2x4b-8b, ``x[2j]`` in bits 3:0).  ``packed``: the pair words
    of :func:`golden.sparq.encode`.
    """
    a = _pad(np.asarray(a), 1, pe_class.k_step)
    if packed:
        words = encode(a, config)                        # (rows, K/2)
        return [pack(words[:, k], config.word_width) for k in range(words.shape[1])]
    bits, step = pe_class.act_bits, pe_class.k_step
    lanes = sum(a[:, i::step] << (i * bits) for i in range(step))
    return [pack(lanes[:, k], step * bits) for k in range(lanes.shape[1])]


def weight_beats(pe_class, w: np.ndarray) -> list[int]:
    """Per beat, the ``in_weight`` value of ``w`` (K, cols): one element per column."""
    step = pe_class.k_step
    w = _pad(np.asarray(w), 0, step) & 0xFF
    lanes = sum(w[i::step] << (8 * i) for i in range(step))
    return [pack(lanes[k], 8 * step) for k in range(lanes.shape[0])]
