"""SPARQ activation approximation on torch tensors, bit-exact with :mod:`golden.sparq`.

Three formulations of the same arithmetic (SPARQ.md sections 3 to 5):

* :func:`sparq_quantize` (the fast one): a 65,536-entry table built from
  ``golden.sparq.quantize`` and indexed by ``x0 * 256 + x1``; pairs run along
  any axis (``dim``), an odd length pairs its last element with an implicit zero.
* :func:`sparq_quantize_by_rule`: an independent torch re-implementation of the
  window rule (leading one, allowed windows, round half to even, saturation in
  the window, lone values in a ``2n``-bit window).  It does not touch the golden
  model, so testing the table against it (and both against golden) is not circular.
* :func:`value_tables` + :func:`stc_expand`: the sparse-tensor-core pairing, in
  which a pair is whatever two activations the non-zero weights of a 2:4 group
  select, different for every output channel.  An activation's approximation
  depends only on whether its partner is zero: ``B(x)`` (its own ``n``-bit
  bSPARQ window) when the partner is non-zero, ``L(x)`` (the lone ``2n``-bit
  window) when it is zero.  So ``w_a * approx(x_a) = w_a * L(x_a) + w_a * D(x_a) * [x_b != 0]``
  with ``D = B - L``, which turns per-output-channel pairing into one ordinary
  convolution or matrix product over an input expanded 4x (:func:`stc_expand`)
  and weights expanded to match (:func:`stc_expand_weight`).
"""

from __future__ import annotations

import functools

import numpy as np

from golden.sparq import ACT_BITS, Config
from golden.sparq import quantize as golden_quantize

from .._torch import torch

__all__ = [
    "pair_table", "value_tables", "sparq_quantize", "sparq_quantize_by_rule",
    "bsparq_by_rule", "stc_expand", "stc_expand_weight", "check_2to4",
]

_N_CODES = 1 << ACT_BITS            # 256


def _check_cfg(cfg) -> Config:
    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a golden.sparq.Config, got {type(cfg).__name__}")
    return cfg


@functools.lru_cache(maxsize=64)
def pair_table(cfg: Config) -> tuple[torch.Tensor, torch.Tensor]:
    """Approximations of every pair from the golden model: two float32 tables of
    65,536 entries, ``first[x0 * 256 + x1]`` and ``second[x0 * 256 + x1]``."""
    _check_cfg(cfg)
    codes = np.arange(_N_CODES * _N_CODES, dtype=np.int64)
    pairs = np.stack([codes >> ACT_BITS, codes & (_N_CODES - 1)], axis=-1)
    approx = golden_quantize(pairs, cfg).astype(np.float32)        # (65536, 2)
    return (torch.from_numpy(np.ascontiguousarray(approx[:, 0])),
            torch.from_numpy(np.ascontiguousarray(approx[:, 1])))


@functools.lru_cache(maxsize=64)
def value_tables(cfg: Config) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, L)``: 256-entry float32 tables from the golden model.

    ``B[x]`` is the approximation of ``x`` when its partner is non-zero (its own
    ``n``-bit window), ``L[x]`` when its partner is zero (the ``2n``-bit window).
    ``B[0] = L[0] = 0``.
    """
    _check_cfg(cfg)
    x = np.arange(_N_CODES, dtype=np.int64)
    partner = np.where(x == 0, 0, 1)                 # (0, 0) -> 0 either way
    b = golden_quantize(np.stack([x, partner], axis=-1), cfg)[:, 0]
    lone = golden_quantize(np.stack([x, np.zeros_like(x)], axis=-1), cfg)[:, 0]
    return torch.from_numpy(b.astype(np.float32)), torch.from_numpy(lone.astype(np.float32))


def _check_codes(codes: torch.Tensor) -> None:
    if codes.dtype.is_floating_point:
        bad = (codes != codes.round()) | (codes < 0) | (codes > _N_CODES - 1)
    elif codes.dtype == torch.bool:
        raise TypeError("activation codes must be integers 0..255, got a bool tensor")
    else:
        bad = (codes < 0) | (codes > _N_CODES - 1)
    if bool(bad.any()):
        bad_val = codes[bad].reshape(-1)[0].item()
        raise ValueError(f"activation codes must be whole numbers in 0..255, got {bad_val}")


def sparq_quantize(codes: torch.Tensor, cfg: Config, dim: int = -1,
                   check: bool = True) -> torch.Tensor:
    """SPARQ approximation of activation codes, pairs along ``dim``.

    ``codes`` holds whole numbers 0..255 (any real or integer dtype).  Returns a
    tensor of the same shape: float32 for float input, int64 otherwise.  Equal to
    ``golden.sparq.quantize`` with ``dim`` moved last.
    """
    cfg = _check_cfg(cfg)
    if codes.dim() == 0:
        raise ValueError("activations need at least one axis (pairs run along `dim`)")
    if check:
        _check_codes(codes)
    dim = dim % codes.dim()
    k = codes.shape[dim]
    x = codes
    if k % 2:
        pad_shape = list(codes.shape)
        pad_shape[dim] = 1
        x = torch.cat([x, x.new_zeros(pad_shape)], dim=dim)
    first, second = pair_table(cfg)
    pairs = x.reshape(x.shape[:dim] + (x.shape[dim] // 2, 2) + x.shape[dim + 1:])
    x0, x1 = pairs.select(dim + 1, 0), pairs.select(dim + 1, 1)
    if codes.dtype.is_floating_point:
        idx = (x0 * _N_CODES + x1).long()           # exact: whole numbers below 2**16
    else:
        idx = x0.long() * _N_CODES + x1.long()
    out = torch.stack([first[idx], second[idx]], dim=dim + 1).reshape(x.shape)
    if k % 2:
        out = out.narrow(dim, 0, k)
    return out if codes.dtype.is_floating_point else out.long()


# ----------------------------------------------------------- the rule, independently

def bsparq_by_rule(x: torch.Tensor, bits: int, shifts, rounding: bool) -> torch.Tensor:
    """SPARQ.md section 3 on an int64 tensor: the approximated value ``q << s``.

    The window is found from the position of the leading one (``floor(log2 x)``),
    not by scanning the windows as the golden model does.
    """
    shifts = sorted(int(s) for s in shifts)
    x = x.long()
    lead = torch.zeros_like(x)                      # position of the leading one (0 for x<=1)
    for b in range(1, ACT_BITS):
        lead = torch.where(x >= (1 << b), torch.full_like(x, b), lead)
    # lowest allowed shift whose window [s+bits-1 : s] reaches the leading one
    s = torch.full_like(x, shifts[-1])
    for sh in sorted(shifts, reverse=True):
        s = torch.where(lead <= sh + bits - 1, torch.full_like(x, sh), s)
    pow_s = torch.pow(torch.full_like(x, 2), s)
    q = torch.div(x, pow_s, rounding_mode="floor")
    if rounding:
        rem = x - q * pow_s
        twice = 2 * rem                              # compare 2*dropped with 2**s: no halves
        up = (s > 0) & ((twice > pow_s) | ((twice == pow_s) & (q % 2 == 1)))
        q = torch.clamp(q + up.long(), max=(1 << bits) - 1)
    return q * pow_s


def sparq_quantize_by_rule(codes: torch.Tensor, cfg: Config) -> torch.Tensor:
    """SPARQ.md section 4 on an integer tensor, pairs along the last axis (int64)."""
    cfg = _check_cfg(cfg)
    x = codes.long()
    k = x.shape[-1]
    if k % 2:
        x = torch.cat([x, x.new_zeros(x.shape[:-1] + (1,))], dim=-1)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    n = cfg.bits
    own0 = bsparq_by_rule(x0, n, cfg.shifts, cfg.rounding)
    own1 = bsparq_by_rule(x1, n, cfg.shifts, cfg.rounding)
    lone_shifts = range(ACT_BITS - 2 * n + 1)
    alone = bsparq_by_rule(torch.maximum(x0, x1), 2 * n, lone_shifts, cfg.rounding)
    a0 = torch.where((x0 != 0) & (x1 != 0), own0, torch.where(x1 == 0, alone, torch.zeros_like(x0)))
    a1 = torch.where((x0 != 0) & (x1 != 0), own1, torch.where(x0 == 0, alone, torch.zeros_like(x1)))
    a0 = torch.where(x0 == 0, torch.zeros_like(a0), a0)
    out = torch.stack([a0, a1], dim=-1).reshape(x.shape)
    return out[..., :k]


# ------------------------------------------------------------- sparse tensor core

def check_2to4(w: torch.Tensor, dim: int = 1, what: str = "weights") -> None:
    """Raise unless every aligned group of 4 along ``dim`` has at most 2 non-zeros."""
    dim = dim % w.dim()
    c = w.shape[dim]
    nz = (w != 0).movedim(dim, -1)
    if c % 4:
        nz = torch.cat([nz, nz.new_zeros(nz.shape[:-1] + (4 - c % 4,))], dim=-1)
    counts = nz.reshape(nz.shape[:-1] + (-1, 4)).sum(-1)
    if bool((counts > 2).any()):
        where = [int(i) for i in (counts > 2).nonzero()[0]]
        raise ValueError(f"{what} are not 2:4 sparse: group {where} has "
                         f"{int(counts.max())} non-zero values")


def stc_expand(codes: torch.Tensor, cfg: Config, dim: int = 1) -> torch.Tensor:
    """Activation codes expanded 4x along ``dim`` for STC pairing (float32).

    ``codes.shape[dim]`` must be a multiple of 4 (groups of 4 along the
    reduction axis).  For element ``i`` of group ``g`` the expanded axis holds,
    at ``16 g + 4 i``, ``L(x_i)``, and at ``16 g + 4 i + r`` (r = 1..3),
    ``D(x_i) * [x_j != 0]`` with ``j = (i + r) mod 4``, a possible partner.
    """
    cfg = _check_cfg(cfg)
    dim = dim % codes.dim()
    c = codes.shape[dim]
    if c % 4:
        raise ValueError(f"STC expansion needs a multiple of 4 along dim {dim}, got {c}")
    lone_tab, diff_tab = _lone_diff_tables(cfg)
    shape = list(codes.shape)
    pre, post = shape[:dim], shape[dim + 1:]
    idx = codes.long().reshape(pre + [c // 4, 4] + post)
    nz = (idx != 0).to(torch.float32)
    nz2 = torch.cat([nz, nz], dim=dim + 1)                  # positions i + r, wrapped
    diff = diff_tab[idx]
    out = torch.empty(pre + [c // 4, 4, 4] + post, dtype=torch.float32)
    out.select(dim + 2, 0).copy_(lone_tab[idx])
    for r in (1, 2, 3):
        torch.mul(diff, nz2.narrow(dim + 1, r, 4), out=out.select(dim + 2, r))
    return out.reshape(pre + [4 * c] + post)


@functools.lru_cache(maxsize=64)
def _lone_diff_tables(cfg: Config):
    b_tab, l_tab = value_tables(cfg)
    return l_tab, b_tab - l_tab


def stc_expand_weight(w: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Weights expanded 4x along ``dim`` to match :func:`stc_expand`.

    At ``16 g + 4 i`` the weight ``w_i``; at ``16 g + 4 i + r`` it is ``w_i`` if
    position ``j = (i + r) mod 4`` holds a non-zero weight too (then ``x_j`` is
    ``x_i``'s partner), else 0.  ``w`` must be 2:4 sparse along ``dim``.
    """
    check_2to4(w, dim)
    dim = dim % w.dim()
    c = w.shape[dim]
    if c % 4:
        raise ValueError(f"STC expansion needs a multiple of 4 along dim {dim}, got {c}")
    shape = list(w.shape)
    g = w.reshape(shape[:dim] + [c // 4, 4] + shape[dim + 1:])
    nz = (g != 0).to(w.dtype)
    nz2 = torch.cat([nz, nz], dim=dim + 1)
    parts = [g] + [g * nz2.narrow(dim + 1, r, 4) for r in (1, 2, 3)]
    out = torch.stack(parts, dim=dim + 2)                   # (..., G, 4 [i], 4 [r], ...)
    return out.reshape(shape[:dim] + [4 * c] + shape[dim + 1:])
