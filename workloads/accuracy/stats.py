"""Statistics for the accuracy report: bootstrap intervals, McNemar, activation statistics."""

from __future__ import annotations

import math

import numpy as np

from golden.sparq import Config

from .._torch import torch
from ..quant.quantize import QuantConv2d, group_im2col, quantized_layers, weight_matrix
from ..quant.sparq_torch import sparq_quantize

__all__ = ["bootstrap", "mcnemar_p", "pareto_front", "layer_stats", "stc_pair_stats",
           "capture_codes"]


# ------------------------------------------------------------------ noise

def bootstrap(correct: np.ndarray, resamples: int = 2000, seed: int = 0) -> np.ndarray:
    """Bootstrap accuracies, ``(resamples, R)``, of ``correct`` ``(R, n)`` (bools).

    All rows share the same resampled images, so differences between rows of
    the result are paired-bootstrap differences.
    """
    correct = np.asarray(correct, dtype=np.float32)
    n = correct.shape[1]
    rng = np.random.default_rng(seed)
    out = np.empty((resamples, correct.shape[0]))
    chunk = 250
    for s in range(0, resamples, chunk):
        b = min(chunk, resamples - s)
        idx = rng.integers(0, n, size=(b, n))
        counts = np.stack([np.bincount(r, minlength=n) for r in idx]).astype(np.float32)
        out[s:s + b] = counts @ correct.T / n
    return out


def interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def mcnemar_p(ref: np.ndarray, other: np.ndarray) -> float:
    """Exact two-sided McNemar test on paired per-image correctness."""
    ref, other = np.asarray(ref, bool), np.asarray(other, bool)
    b = int((ref & ~other).sum())
    c = int((~ref & other).sum())
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2 ** n)


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of points (cost, value) that no other point beats: cost lower or
    equal and value higher or equal, one of them strictly."""
    front = []
    for i, (ci, vi) in enumerate(points):
        dominated = any((cj <= ci and vj >= vi) and (cj < ci or vj > vi)
                        for j, (cj, vj) in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


# ------------------------------------------------------------------ activations

@torch.no_grad()
def capture_codes(qmodel, x: torch.Tensor, batch: int = 500, signed: bool = False
                  ) -> dict[str, list]:
    """Input codes of every quantized layer with unsigned inputs (or every one, ``signed``)
    as the hardware sees them: the im2col matrix of each group (M x G x Kg, channels
    innermost per tap) for convolutions, the input (M x 1 x K) for Linear layers.
    Returns ``{name: [chunks (int16 tensors)]}``."""
    layers = [(n, m) for n, m in quantized_layers(qmodel) if signed or not m.signed]
    out = {n: [] for n, _ in layers}
    current = {}

    def hook(mod, inputs):
        codes = mod.codes(inputs[0])
        if isinstance(mod, QuantConv2d):
            codes = group_im2col(codes, mod.kernel_size, mod.stride, mod.padding,
                                 mod.dilation, mod.groups)
        else:
            codes = codes.reshape(-1, 1, codes.shape[-1])
        current[mod.name] = codes.to(torch.int16)

    handles = [m.register_forward_pre_hook(hook) for _, m in layers]
    try:
        for i in range(0, x.shape[0], batch):
            qmodel(x[i:i + batch])
            for n in out:
                out[n].append(current.pop(n))
    finally:
        for h in handles:
            h.remove()
    return out


def layer_stats(qmodel, x: torch.Tensor, cfgs: dict[str, Config]) -> list[dict]:
    """Per quantized layer with unsigned inputs: zero shares, pair shares (pairs
    within a group), bit toggles, value ranges, and per configuration the error SPARQ
    adds to the activations.

    Use an A8W8 model (``cfg=None``) so every configuration sees the same codes.
    """
    rows = []
    mods = dict(quantized_layers(qmodel))
    for name, chunks in capture_codes(qmodel, x).items():
        m = mods[name]
        tot = {"values": 0, "zeros": 0, "pairs": 0, "both_zero": 0, "one_zero": 0,
               "nonzero": 0, "bits": np.zeros(8), "both_nz_values": 0,
               "range": np.zeros(4)}
        err = {k: [0.0, 0, 0.0] for k in cfgs}            # squared error, changed, squared x
        for a in chunks:
            a = a.long()
            if a.shape[2] % 2:                      # each group's K pads its own last pair
                a = torch.cat([a, a.new_zeros(a.shape[0], a.shape[1], 1)], dim=2)
            a = a.reshape(a.shape[0], -1)
            z = a == 0
            z0, z1 = z[:, 0::2], z[:, 1::2]
            tot["values"] += a.numel()
            tot["zeros"] += int(z.sum())
            tot["pairs"] += z0.numel()
            tot["both_zero"] += int((z0 & z1).sum())
            tot["one_zero"] += int((z0 ^ z1).sum())
            nz = a[~z]
            tot["nonzero"] += nz.numel()
            for b in range(8):
                tot["bits"][b] += int(((nz >> b) & 1).sum())
            both = ~(z0 | z1)
            vals = torch.cat([a[:, 0::2][both], a[:, 1::2][both]])
            tot["both_nz_values"] += vals.numel()
            edges = [0, 16, 64, 128, 256]
            for i in range(4):
                tot["range"][i] += int(((vals >= edges[i]) & (vals < edges[i + 1])).sum())
            af = a.float()
            for key, cfg in cfgs.items():
                q = sparq_quantize(af, cfg, dim=1, check=False)
                d = q - af
                err[key][0] += float((d * d).sum())
                err[key][1] += int((d != 0).sum())
                err[key][2] += float((af * af).sum())
        k = m.K
        nzv, bnv = max(tot["nonzero"], 1), max(tot["both_nz_values"], 1)
        rows.append({
            "layer": name, "kind": "conv" if isinstance(m, QuantConv2d) else "linear", "K": k,
            "groups": m.groups,
            "values": tot["values"],
            "zero_share": tot["zeros"] / tot["values"],
            "pair_any_zero_share": (tot["both_zero"] + tot["one_zero"]) / tot["pairs"],
            "pair_both_zero_share": tot["both_zero"] / tot["pairs"],
            "pair_both_nonzero_share": 1 - (tot["both_zero"] + tot["one_zero"]) / tot["pairs"],
            "bit_toggle_share": {f"bit{b}": tot["bits"][b] / nzv for b in range(7, -1, -1)},
            # values that get bSPARQ (both members of the pair non-zero), by range
            "bsparq_range_share": {r: tot["range"][i] / bnv for i, r in
                                   enumerate(["<16", "16-63", "64-127", ">=128"])},
            "sparq": {key: {"rel_rms_error": math.sqrt(e[0] / e[2]) if e[2] else 0.0,
                            "changed_share": e[1] / tot["values"]} for key, e in err.items()},
        })
    return rows


@torch.no_grad()
def stc_pair_stats(qmodel, x: torch.Tensor) -> dict[str, dict]:
    """Sparse tensor core: of the pairs that the non-zero weights select (per output
    channel and group of 4), the share with at least one zero activation."""
    out = {}
    mods = dict(quantized_layers(qmodel))
    for name, chunks in capture_codes(qmodel, x).items():
        groups = mods[name].groups
        w_all = weight_matrix(mods[name].w_codes).t()             # (Kg, N)
        k, n_all = w_all.shape
        ng = n_all // groups
        pad = -k % 4
        selected, both_nz, rows = 0, 0.0, 0
        for g in range(groups):
            w = w_all[:, g * ng:(g + 1) * ng]
            wnz = torch.cat([w != 0, torch.zeros(pad, ng, dtype=torch.bool)]).reshape(-1, 4, ng)
            count = wnz.sum(1)                                  # (K/4, Ng)
            selected += int((count > 0).sum())                  # pairs per activation row
            for a in chunks:
                ag = a[:, g]
                nz = torch.cat([ag != 0, torch.zeros(ag.shape[0], pad, dtype=torch.bool)], 1)
                nz = nz.reshape(ag.shape[0], -1, 4).float()      # (M, K/4, 4)
                if g == 0:
                    rows += ag.shape[0]
                for i in range(4):
                    for j in range(i + 1, 4):
                        cols = (wnz[:, i] & wnz[:, j] & (count == 2)).float().sum(1)
                        both_nz += float(((nz[:, :, i] * nz[:, :, j]) @ cols).sum())
        total = rows * selected
        out[name] = {"selected_pairs": total,
                     "pair_any_zero_share": 1 - both_nz / total if total else 0.0}
    return out
