"""TC/STC port packing: a GEMM as per-step port values of a tensor core.

One step is one ``k_step`` slice of K: ``in_a[r][k] = A[r][k0 + k]``; the TC
takes ``in_b[n][k] = B[k0 + k][n]``, the STC the compressed weights
``in_values[n][i]`` / ``in_positions[n][i]`` of :func:`golden.sparq.compress_2to4`
(slice ``k0 / 2 ..``).  K is padded with zeros to whole steps.
"""

from __future__ import annotations

import numpy as np

from golden.sparq import compress_2to4
from verif.kit import pack

__all__ = ["tc_steps", "stc_steps"]


def _padded(a, b, k_step):
    pad = -a.shape[1] % k_step
    return np.pad(a, ((0, 0), (0, pad))), np.pad(b, ((0, pad), (0, 0)))


def tc_steps(a, b, c, k_step: int, acc_width: int) -> list[dict]:
    """Port values of each K step of a dense tensor core."""
    a, b = _padded(a, b, k_step)
    return [{"in_a": pack(a[:, s:s + k_step], 8), "in_b": pack(b[s:s + k_step].T, 8),
             "in_c": pack(c, acc_width)} for s in range(0, a.shape[1], k_step)]


def stc_steps(a, w, c, k_step: int, acc_width: int) -> list[dict]:
    """Dense A slices and compressed B slices of each step of a 2:4 sparse tensor core."""
    a, w = _padded(a, w, k_step)
    values, positions = compress_2to4(w)
    h = k_step // 2
    return [{"in_a": pack(a[:, s:s + k_step], 8),
             "in_values": pack(values[s // 2:s // 2 + h].T, 8),
             "in_positions": pack(positions[s // 2:s // 2 + h].T, 2),
             "in_c": pack(c, acc_width)} for s in range(0, a.shape[1], k_step)]
