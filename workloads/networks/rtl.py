"""The networks' layers through the emitted RTL: sampled tiles of every distinct layer shape,
and whole layers, bit-exact against the golden model with the measured cycles equal to the plan.

Operands are real integer views (:func:`workloads.quant.layer_gemms`) of the random-init
network quantized with 5opt on random images (standard-normal, calibration on a few more):
post-ReLU activation codes, so about half are zero, as the paper's networks see them, but
not trained weights.  A layer whose policy is not SPARQ (A8W8 signed) or that stays FP32 is
not checked.

Sampled tiles of one layer run as one grouped GEMM on the array (``groups = tiles``): tile
``t`` is the A rows of its row block (zero-padded to ``rows``) against the W columns of its
column block (zero-padded to ``cols``), so the array streams exactly the sampled tiles, back
to back, and ``plan_gemm`` of that grouped GEMM is the cycle count to equal.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from golden.sparq import matmul as golden_matmul
from golden.sparq import wrap
from verif.runner import plan_gemm, run_gemm

from .._torch import torch
from ..quant.gemm import LayerGemm, layer_gemms
from ..quant.quantize import quantize_model
from .arrays import SPARQ, ArrayDesign
from .catalog import model, network

__all__ = ["network_gemms", "sample_tiles", "check_layer", "check_network", "whole_layer",
           "RTL_DESIGNS"]

#: The arrays the sampled tiles run on (5opt, and the 8b-8b SA they are compared with).
RTL_DESIGNS = (ArrayDesign("sa", "5opt", 32, 32), ArrayDesign("sa", "8b8b", 32, 32),
               ArrayDesign("tc", "5opt", 8, 8))


def network_gemms(name: str, images: int = 1, seed: int = 0,
                  calibration: int = 4) -> list[LayerGemm]:
    """Every quantized layer of the random-init network on ``images`` random images."""
    net = network(name)
    gen = torch.Generator().manual_seed(seed + 1)
    shape = (3, net.size, net.size)
    with torch.no_grad():
        qmodel = quantize_model(model(name, seed), SPARQ,
                                [torch.randn(calibration, *shape, generator=gen)])
        return layer_gemms(qmodel, torch.randn(images, *shape, generator=gen))


def _distinct(gemms: list[LayerGemm]) -> list[LayerGemm]:
    """The first layer of every distinct (M, K, N, groups) among the SPARQ layers."""
    seen, out = set(), []
    for g in gemms:
        key = (*g.shape, g.groups)
        if g.policy == "SPARQ" and key not in seen:
            seen.add(key)
            out.append(g)
    return out


def sample_tiles(g: LayerGemm, rows: int, cols: int, count: int, rng) -> tuple:
    """``(a, w, picks)``: ``count`` tiles of ``g`` (the first, the last, random others) as a
    grouped GEMM; ``picks`` are ``(group, row block, column block)``."""
    m, k, n = g.shape
    ng = n // g.groups
    tm, tn = -(-m // rows), -(-ng // cols)
    every = [(gr, i, j) for gr in range(g.groups) for i in range(tm) for j in range(tn)]
    picks = [every[0], every[-1]]
    rest = [t for t in every if t not in picks]
    if rest and count > 2:
        picks += [rest[i] for i in rng.choice(len(rest), min(count - 2, len(rest)),
                                              replace=False)]
    picks = list(dict.fromkeys(picks))[:count]
    a = np.zeros((rows, len(picks) * k), np.int64)
    w = np.zeros((k, len(picks) * cols), np.int64)
    for t, (gr, i, j) in enumerate(picks):
        rows_a = g.A[i * rows:(i + 1) * rows, gr * k:(gr + 1) * k]
        a[:rows_a.shape[0], t * k:(t + 1) * k] = rows_a
        cols_w = g.W[:, gr * ng + j * cols:gr * ng + min((j + 1) * cols, ng)]
        w[:, t * cols:t * cols + cols_w.shape[1]] = cols_w
    return a, w, picks


def _golden(a, w, groups: int, design: ArrayDesign) -> np.ndarray:
    k, ng = w.shape[0], w.shape[1] // groups
    parts = []
    for t in range(groups):
        at, wt = a[:, t * k:(t + 1) * k], w[:, t * ng:(t + 1) * ng]
        parts.append(wrap(at @ wt, 32) if design.config is None
                     else golden_matmul(at, wt, design.config))
    return np.concatenate(parts, axis=1)


@dataclasses.dataclass(frozen=True)
class Check:
    network: str
    layer: str
    M: int
    K: int
    N: int
    groups: int
    design: str
    tiles: int              # tiles simulated
    outputs: int
    mismatches: int
    cycles: int             # measured
    plan_cycles: int
    seconds: float
    whole: bool = False     # the whole layer (not sampled tiles)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.cycles == self.plan_cycles


def _run(a, w, groups, design: ArrayDesign, **kw):
    return run_gemm(a, w, arch=design.arch, config=design.config, baseline=design.baseline,
                    rows=design.rows, cols=design.cols, groups=groups,
                    **dict(design.options), **kw)


def _check_tiles(name: str, layer: tuple, a, w, tiles: int, design: ArrayDesign,
                 **run_kw) -> Check:
    """The sampled tiles ``a``, ``w`` (a grouped GEMM of ``tiles`` groups) on ``design``."""
    start = time.perf_counter()
    run = _run(a, w, tiles, design, **run_kw)
    want = _golden(a, w, tiles, design)
    plan = design.plan(design.rows, w.shape[0], tiles * design.cols, tiles)
    return Check(name, *layer, design.label, tiles, int(run.c.size),
                 int((run.c != want).sum()), run.cycles, plan.formula_cycles,
                 time.perf_counter() - start)


def check_layer(name: str, g: LayerGemm, design: ArrayDesign, count: int, rng,
                **run_kw) -> Check:
    """``count`` sampled tiles of layer ``g`` on ``design``."""
    a, w, picks = sample_tiles(g, design.rows, design.cols, count, rng)
    return _check_tiles(name, (g.name, *g.shape, g.groups), a, w, len(picks), design,
                        **run_kw)


def check_network(name: str, designs=RTL_DESIGNS, count: int = 3, seed: int = 0,
                  progress=None, client=None, **run_kw) -> list[Check]:
    """Sampled tiles of every distinct SPARQ layer shape of ``name`` on every design.

    With a Dask ``client`` every (layer, design) check is a task on the cluster (only the
    sampled tiles travel); the checks and their results are those of the serial run.
    """
    rng = np.random.default_rng(seed)
    jobs = []
    for g in _distinct(network_gemms(name, seed=seed)):
        for design in designs:
            a, w, picks = sample_tiles(g, design.rows, design.cols, count, rng)
            jobs.append(((g.name, *g.shape, g.groups), a, w, len(picks), design))
    if client is None:
        out = []
        for job in jobs:
            out.append(_check_tiles(name, *job, **run_kw))
            if progress is not None:
                progress(out[-1])
        return out
    futures = [client.submit(_check_tiles, name, *job, pure=False, **run_kw) for job in jobs]
    out = []
    for f in futures:
        out.append(f.result())
        if progress is not None:
            progress(out[-1])
    return out


def whole_layer(name: str, layer: str, design: ArrayDesign, images: int = 1, seed: int = 0,
                **run_kw) -> Check:
    """One whole layer of ``name`` through ``design``: every output against the golden model
    (the grouped GEMM as the layer's own groups), cycles against ``plan_gemm``."""
    g = next((x for x in network_gemms(name, images, seed) if x.name == layer), None)
    if g is None:
        raise ValueError(f"{layer!r} is not a quantized layer of {name}")
    start = time.perf_counter()
    run = _run(g.A, g.W, g.groups, design, **run_kw)
    want = _golden(g.A, g.W, g.groups, design)
    m, k, n = g.shape
    plan = plan_gemm(m, k, n, arch=design.arch, config=design.config, baseline=design.baseline,
                     rows=design.rows, cols=design.cols, groups=g.groups,
                     **dict(design.options))
    return Check(name, g.name, m, k, n, g.groups, design.label, plan.tiles, int(run.c.size),
                 int((run.c != want).sum()), run.cycles, plan.formula_cycles,
                 time.perf_counter() - start, whole=True)
