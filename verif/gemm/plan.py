"""How a GEMM maps onto an emitted array: checked arguments, the tiling and the cycle formulas.

Nothing here simulates.  :func:`plan_gemm` is the public entry point; the
backends (:mod:`verif.gemm.compiled`, the cocotb bench :mod:`verif.tb_gemm`) and
:func:`verif.runner.run_gemm` take the same :class:`GemmPlan` and
:class:`Tiling`, so every path streams the same tiles in the same order.

A grouped GEMM (``groups = G``, a grouped or depthwise convolution) is ``G``
independent GEMMs: ``a`` is ``(M, G * Kg)`` with group ``g`` owning the columns
``g * Kg .. (g + 1) * Kg - 1``, ``w`` is ``(Kg, N)`` with output column ``n``
in group ``n // (N / G)``, and group ``g``'s outputs are
``a[:, g Kg:(g+1) Kg] @ w[:, g Ng:(g+1) Ng]`` (SPARQ pairs never cross a group
boundary).  Each group is tiled on its own; the groups' tiles run back to back.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from golden.sparq import Config
from hdl.checks import check_acc_width, check_int
from hdl.emit.hierarchy import unused
from hdl.sa.array import SystolicArray
from hdl.sa.variants import PE_VARIANTS
from hdl.tc.build import array_class
from hdl.tc.variants import ARRAY_VARIANTS, dp_class

__all__ = ["ARCHS", "DEFAULT_CONFIG", "baselines", "GemmPlan", "Tiling", "plan_gemm",
           "resolve", "check_operands", "formula_array"]

#: The architectures a GEMM maps onto.
ARCHS = ("sa", "tc", "stc")

#: The SPARQ configuration used when neither ``config`` nor ``baseline`` is given.
DEFAULT_CONFIG = Config.preset(5)


def check_arch(arch) -> str:
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")
    return arch


def baselines(arch: str) -> tuple[str, ...]:
    """The baselines a GEMM runs on for ``arch``: every array variant but SPARQ."""
    table = PE_VARIANTS if check_arch(arch) == "sa" else ARRAY_VARIANTS
    return tuple(v for v in table if v != "sparq")


def resolve(arch, config, baseline) -> tuple[str, Config | None]:
    """``(variant, config)`` of a run: SPARQ with a configuration, or a baseline without."""
    check_arch(arch)
    if baseline is None:
        if config is None:
            return "sparq", DEFAULT_CONFIG
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.sparq.Config, got {config!r}")
        return "sparq", config
    allowed = baselines(arch)
    if baseline not in allowed:
        raise ValueError(f"baseline {baseline!r} is not available for arch={arch!r}; "
                         f"allowed: {', '.join(allowed)} (or None for SPARQ)")
    if config is not None:
        raise ValueError(f"config={getattr(config, 'name', config)!r} given with "
                         f"baseline={baseline!r}: a baseline takes no SPARQ configuration "
                         f"(pass one or the other)")
    return baseline, None


@dataclasses.dataclass(frozen=True)
class GemmPlan:
    """How an ``M x K x N`` GEMM (``groups`` of them) maps onto an array, and its formulas.

    An output tile is ``rows x cols`` of C.  Each group is cut into a
    ``tile_grid`` of ``ceil(M / rows) x ceil(Ng / cols)`` tiles (``Ng = N /
    groups``), run in row-major order; the groups follow each other, so
    ``tiles = groups * tile_grid[0] * tile_grid[1]`` tiles run back to back.
    ``k`` is the reduction length of one group (all of K when ``groups`` is 1).
    SA: a tile is one full-K stream of ``beats_per_tile = ceil(k / k_step)``
    beats, with ``gap = max(0, rows - beats_per_tile)`` idle cycles before each
    tile but the first (two ``in_last`` beats at least ``rows`` cycles apart).
    TC/STC: a tile is one sweep of ``ceil(k / k_step)`` steps, C = 0 on the first.

    ``formula_cycles`` is the array's own count for this tiling: the SA's
    ``mixed_stream_cycles`` (first beat to last result row, both included),
    the TC's ``(T - 1) * steps + cycles(K)`` (first step to the last
    ``out_valid``).  ``ideal_cycles`` is the compute bound
    ``ceil(macs / peak_macs_per_cycle)``; ``macs = M * k * N`` counts the
    problem's dense multiply-accumulates, padding excluded.
    """

    arch: str
    variant: str
    config: Config | None       # None for a baseline
    label: str                  # the configuration's name (5opt) or the baseline's
    rows: int
    cols: int
    acc_width: int
    m: int
    k: int                      # reduction length of one group
    n: int                      # output columns of all groups
    groups: int
    tile_grid: tuple[int, int]  # tiles of one group along M and N
    tiles: int
    k_step: int                 # reduction elements a beat / step
    beats_per_tile: int         # beats (SA) or steps (TC/STC) of one tile
    beats: int                  # all tiles
    gap: int                    # idle cycles before every tile but the first
    idle_cycles: int            # all gaps
    latency: int                # the array's: a tile's last beat to its first result
    formula_cycles: int
    ideal_cycles: int
    macs: int
    pes: int                    # PEs (SA) or dot-product units (TC/STC)
    peak_macs_per_cycle: int    # pes * k_step


@dataclasses.dataclass(frozen=True)
class Tiling:
    """The operand blocks of a planned GEMM and the order the tiles take them in.

    ``a_blocks[i]`` is ``(rows, Kp)`` (rows of A of one group, zero-padded),
    ``w_blocks[j]`` is ``(Kp, cols)`` (columns of W of one group, zero-padded),
    ``order[t] = (i, j)`` is tile ``t``; ``place[t] = (row0, col0)`` is where its
    result goes in C (before the padding is cut off).  ``Kp`` is ``k`` rounded
    up to whole beats or steps.
    """

    a_blocks: np.ndarray        # (NA, rows, Kp) int64
    w_blocks: np.ndarray        # (NW, Kp, cols) int64
    order: np.ndarray           # (T, 2) int64
    place: np.ndarray           # (T, 2) int64

    def assemble(self, c_tiles: np.ndarray, m: int, n: int) -> np.ndarray:
        """C (m, n) from the tiles' results ``c_tiles`` (T, rows, cols), padding dropped."""
        t, rows, cols = c_tiles.shape
        c = np.zeros((m + rows, n + cols), np.int64)
        for (r0, c0), tile in zip(self.place, c_tiles, strict=True):
            c[r0:r0 + rows, c0:c0 + cols] = tile
        return c[:m, :n]


@functools.lru_cache(maxsize=64)
def formula_array(arch: str, variant: str, config: Config | None, rows: int, cols: int,
                  acc_width: int):
    """The array object alone (never elaborated), for its formulas."""
    if arch == "sa":
        array = SystolicArray(variant=variant, config=config, rows=rows, cols=cols,
                              acc_width=acc_width)
    else:
        array = array_class(arch)(variant=variant, config=config, rows=rows, cols=cols,
                                  acc_width=acc_width)
    return unused(array)


def check_groups(groups, n: int) -> int:
    groups = check_int("groups", groups, 1)
    if n % groups:
        raise ValueError(f"groups={groups} must divide the output columns N={n} "
                         f"(each group owns N / groups of them)")
    return groups


def make_plan(array, arch, variant, config, acc_width, m, k, n, groups=1) -> GemmPlan:
    rows, cols = array.rows, array.cols
    grid = (-(-m // rows), -(-(n // groups) // cols))
    tiles = groups * grid[0] * grid[1]
    sa = arch == "sa"
    per_tile = array.beats(k) if sa else array.steps(k)
    gap = max(0, rows - per_tile) if sa else 0
    formula = array.mixed_stream_cycles([per_tile] * tiles) if sa \
        else (tiles - 1) * per_tile + array.cycles(k)
    pes = rows * cols
    peak = pes * array.k_step
    macs = m * k * n
    return GemmPlan(
        arch=arch, variant=variant, config=config,
        label=config.name if config is not None else variant, rows=rows, cols=cols,
        acc_width=acc_width, m=m, k=k, n=n, groups=groups, tile_grid=grid, tiles=tiles,
        k_step=array.k_step, beats_per_tile=per_tile, beats=tiles * per_tile, gap=gap,
        idle_cycles=gap * (tiles - 1), latency=array.latency, formula_cycles=formula,
        ideal_cycles=math.ceil(macs / peak), macs=macs, pes=pes, peak_macs_per_cycle=peak)


def plan_gemm(m: int, k: int, n: int, *, arch: str = "sa", config: Config | None = None,
              baseline: str | None = None, rows: int = 16, cols: int = 16,
              acc_width: int = 32, groups: int = 1) -> GemmPlan:
    """The tiling of an ``m x k`` by ``k x n`` GEMM and the array's cycle formulas, no simulation.

    Arguments as :func:`verif.runner.run_gemm`; with ``groups`` > 1, ``k`` is the
    reduction length of one group (the first axis of ``w``) and ``n`` all the
    output columns.
    """
    variant, config = resolve(arch, config, baseline)
    m, k, n = (check_int(name, v, 1) for name, v in (("M", m), ("K", k), ("N", n)))
    groups = check_groups(groups, n)
    rows, cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
    acc_width = check_acc_width(acc_width)
    array = formula_array(arch, variant, config, rows, cols, acc_width)
    return make_plan(array, arch, variant, config, acc_width, m, k, n, groups)


def tiling(plan: GemmPlan, a: np.ndarray, w: np.ndarray) -> Tiling:
    """The padded operand blocks and the tile order of ``plan`` for checked ``a``, ``w``."""
    rows, cols, g_count = plan.rows, plan.cols, plan.groups
    kp = plan.beats_per_tile * plan.k_step
    tm, tn = plan.tile_grid
    ng = plan.n // g_count
    kg = plan.k
    a_pad = np.zeros((g_count, tm * rows, kp), np.int64)
    w_pad = np.zeros((g_count, kp, tn * cols), np.int64)
    for g in range(g_count):
        a_pad[g, :plan.m, :kg] = a[:, g * kg:(g + 1) * kg]
        w_pad[g, :kg, :ng] = w[:, g * ng:(g + 1) * ng]
    a_blocks = a_pad.reshape(g_count, tm, rows, kp).reshape(g_count * tm, rows, kp)
    w_blocks = w_pad.reshape(g_count, kp, tn, cols).transpose(0, 2, 1, 3).reshape(
        g_count * tn, kp, cols)
    g, i, j = (x.ravel() for x in np.meshgrid(np.arange(g_count), np.arange(tm), np.arange(tn),
                                              indexing="ij"))
    order = np.stack([g * tm + i, g * tn + j], axis=1)
    place = np.stack([i * rows, g * ng + j * cols], axis=1)
    return Tiling(a_blocks, np.ascontiguousarray(w_blocks), order.astype(np.int64),
                  place.astype(np.int64))


# ------------------------------------------------------------------------ operands

def _act_bits(arch: str, variant: str) -> int:
    """Bits of one activation code at the array's inputs."""
    return (PE_VARIANTS[variant] if arch == "sa" else dp_class(variant, arrays=True)).act_bits


def _matrix(name: str, value, shape_names: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be a 2-D array of integers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D ({shape_names}), got shape {arr.shape}")
    if 0 in arr.shape:
        raise ValueError(f"{name} must have {shape_names} >= 1, got shape {arr.shape}")
    return arr


def _in_range(name: str, arr: np.ndarray, lo: int, hi: int, what: str) -> np.ndarray:
    bad = (arr < lo) | (arr > hi)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}[{at[0]}, {at[1]}] = {arr[at].item()} is outside {lo}..{hi} "
                         f"({what})")
    return arr.astype(np.int64)


def _check_2to4(w: np.ndarray) -> None:
    pad = -w.shape[0] % 4
    groups = np.pad(w, ((0, pad), (0, 0))).reshape(-1, 4, w.shape[1])
    counts = (groups != 0).sum(axis=1)                      # (groups, N)
    if (counts > 2).any():
        g, col = (int(i) for i in np.argwhere(counts > 2)[0])
        raise ValueError(f"w is not 2:4 sparse along K (arch='stc'): column {col}, rows "
                         f"{4 * g}..{min(4 * g + 3, w.shape[0] - 1)} hold "
                         f"{int(counts[g, col])} non-zero weights (at most 2 of every 4)")


def check_operands(a, w, arch: str, variant: str, groups=1):
    """``(a, w, groups)`` as checked int64 matrices and a checked group count."""
    a = _matrix("a", a, "M, K")
    w = _matrix("w", w, "K, N")
    groups = check_groups(groups, w.shape[1])
    if a.shape[1] != groups * w.shape[0]:
        if groups == 1:
            raise ValueError(f"a is {a.shape[0]} x {a.shape[1]} and w {w.shape[0]} x "
                             f"{w.shape[1]}: K differs")
        raise ValueError(f"a is {a.shape[0]} x {a.shape[1]} and w {w.shape[0]} x {w.shape[1]} "
                         f"with groups={groups}: a needs groups x {w.shape[0]} = "
                         f"{groups * w.shape[0]} columns (each group's K side by side)")
    top = (1 << _act_bits(arch, variant)) - 1
    a = _in_range("a", a, 0, top, f"activation codes of the {variant} array")
    w = _in_range("w", w, -128, 127, "signed 8-bit weights")
    if arch == "stc":
        _check_2to4(w)
    return a, w, groups
