"""Shared by the SA benches: operand generators, port packing, the golden model per variant.

The driver side turns a GEMM into per-beat port values (one beat = one
reduction step: a pair of activations, or one for 8b-8b); the model side is
``golden.sparq`` and never looks at the design.
"""

from __future__ import annotations

import numpy as np

from golden.sparq import Config, encode, matmul, wrap
from hdl.sa.pe_sysmt import SYSMT_CONFIG

#: Activation code range of each variant (2x4b-8b takes 4-bit codes).
ACT_TOP = {"8b8b": 256, "2x4b8b": 16, "sparq": 256, "sysmt": 256}


def config_of(args) -> Config | None:
    return Config(args["bits"], tuple(args["shifts"]), args["rounding"]) \
        if args.get("bits") is not None else None


def config_args(cfg: Config | None) -> dict:
    if cfg is None:
        return {"bits": None}
    return {"bits": cfg.bits, "shifts": list(cfg.shifts), "rounding": cfg.rounding}


def pack(values, width: int) -> int:
    """Flattened ``values`` (element 0 at the LSBs) as one unsigned port value."""
    out, mask = 0, (1 << width) - 1
    for i, v in enumerate(np.asarray(values).ravel()):
        out |= (int(v) & mask) << (i * width)
    return out


def uint(value) -> int:
    """An unsigned port value; 1-bit ports read as ``Logic``, which has no ``to_unsigned``."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


def unpack(value: int, width: int, count: int) -> list[int]:
    """Signed fields of a packed port value."""
    fields = [(value >> (i * width)) & ((1 << width) - 1) for i in range(count)]
    return [f - (1 << width) if f >> (width - 1) else f for f in fields]


def activations(rng, shape, sparsity: float, top: int = 256) -> np.ndarray:
    """Codes below ``top`` with a ``sparsity`` share of zeros; some rows small, some 255."""
    a = rng.integers(1, top, size=shape)
    small = rng.random(shape) < 0.3
    a = np.where(small, rng.integers(1, max(2, top // 16), size=shape), a)
    a[rng.random(shape) < 0.05] = top - 1
    return np.where(rng.random(shape) < sparsity, 0, a)


def weights(rng, shape) -> np.ndarray:
    w = rng.integers(-128, 128, size=shape)
    w[rng.random(shape) < 0.05] = -128           # the extreme weight, often
    return w


def golden(variant: str, cfg: Config | None, a, w, acc_width: int) -> np.ndarray:
    """The exact result the design must produce: golden.sparq per variant."""
    if variant == "sparq":
        return matmul(a, w, cfg, acc_width=acc_width)
    if variant == "sysmt":
        return matmul(a, w, SYSMT_CONFIG, acc_width=acc_width)
    return wrap(np.asarray(a, np.int64) @ np.asarray(w, np.int64), acc_width)


def _pad_even(x: np.ndarray, axis: int) -> np.ndarray:
    if x.shape[axis] % 2 == 0:
        return x
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, 1)
    return np.pad(x, pad)


def act_beats(variant: str, cfg: Config | None, a: np.ndarray, packed: bool) -> list[int]:
    """Per beat, the ``in_act`` value of ``a`` (rows, K): one element per row."""
    if variant == "8b8b":
        return [pack(a[:, k], 8) for k in range(a.shape[1])]
    a = _pad_even(a, 1)
    if variant == "sparq" and packed:
        words = encode(a, cfg)                        # (rows, K/2)
        return [pack(words[:, k], cfg.word_width) for k in range(words.shape[1])]
    width = 4 if variant == "2x4b8b" else 8
    pairs = a[:, 0::2] | a[:, 1::2] << width
    return [pack(pairs[:, k], 2 * width) for k in range(pairs.shape[1])]


def weight_beats(variant: str, w: np.ndarray) -> list[int]:
    """Per beat, the ``in_weight`` value of ``w`` (K, cols): one element per column."""
    if variant == "8b8b":
        return [pack(w[k] & 0xFF, 8) for k in range(w.shape[0])]
    w = _pad_even(w, 0)
    pairs = (w[0::2] & 0xFF) | (w[1::2] & 0xFF) << 8
    return [pack(pairs[k], 16) for k in range(pairs.shape[0])]
