"""Run emitted arrays on the simulators: the library the regressions, benchmarks and users call.

:func:`run_array` streams random GEMM tiles through an emitted SA and checks
them in the bench (:mod:`verif.tb_sa_array`); it returns the array and the
bench's build folder.

:func:`run_gemm` runs the user's own ``C = A @ W`` through an emitted SA, TC or
STC (bench :mod:`verif.tb_gemm`) and returns C as the simulated hardware
computed it, the measured cycle count and, as ``.stats``, the run's
:class:`GemmStats`; :func:`plan_gemm` gives the same tiling and formula
figures without simulating.  docs/runner.md is the user's guide.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import time
import uuid
from pathlib import Path

import numpy as np

from golden.sparq import Config
from hdl.checks import check_acc_width, check_int
from hdl.emit.hierarchy import unused
from hdl.sa.array import SystolicArray
from hdl.sa.build import emit_array
from hdl.sa.variants import PE_VARIANTS
from hdl.tc.build import array_class
from hdl.tc.build import emit_array as emit_tc_array
from hdl.tc.variants import ARRAY_VARIANTS, dp_class
from verif.harness import BUILD, SIMULATORS, _design_key, run_bench, sources
from verif.tb_gemm import GemmArgs
from verif.tb_sa_array import ArrayArgs

__all__ = ["TILES", "run_array", "verilator_setup", "VERILATOR_ARGS",
           "ARCHS", "DEFAULT_CONFIG", "baselines", "run_gemm", "plan_gemm", "GemmPlan",
           "GemmStats", "GemmRun"]

#: K odd and even, activation sparsity 0 %, 50 % and 90 %.
TILES = [[7, 0.0], [8, 0.5], [5, 0.9], [12, 0.0], [1, 0.5], [10, 0.9]]


#: cocotb builds with ``--public-flat-rw``, which keeps every signal of every PE
#: instance (a 32x32 array needed 1 GB, 128x128 over 10 GB); the benches only
#: touch the top's ports.
VERILATOR_ARGS = ("--no-public-flat-rw", "--public-depth", "1")


def verilator_setup(files: dict[str, str], top: str, tiles: int) -> tuple[dict, tuple]:
    """A Verilator control file and build options for an array of ``tiles`` tiles.

    Verilator inlines every module by default, so a 16x16 array compiles 256
    copies of the PE: the control file keeps PEs and rows as shared C++
    classes and, with several tiles, makes the tile a hierarchical block built
    once.  The file names the options, so that they key the build cache.
    """
    args = VERILATOR_ARGS + (("--hierarchical",) if tiles > 1 else ())
    stems = sorted(Path(name).stem for name in files)
    lines = [f'no_inline -module "{m}"' for m in stems if "_sa_pe_" in m or "_sa_row_" in m]
    if tiles > 1:
        lines += [f'hier_block -module "{m}"' for m in stems if "_sa_tile_" in m]
    text = "\n".join(["`verilator_config", f"// built with {' '.join(args)}"] + lines) + "\n"
    return {**files, f"{top}.vlt": text}, args


def run_array(sim, variant, cfg, rows, cols, tiles=TILES, acc_width=32, input="raw", seed=1,
              tile=32):
    """Emit an SA, stream ``tiles`` (``[K, sparsity]`` each) through it on ``sim``, check it.

    Returns ``(array, build folder)``.
    """
    top, files, array = emit_array(variant, cfg, rows=rows, cols=cols, acc_width=acc_width,
                                   input=input, tile=tile)
    build_args = ()
    if sim == "verilator":
        files, build_args = verilator_setup(files, top, array.tiles)
    # Every stream is checked against the formula, tiles of different K included.
    cycles = array.mixed_stream_cycles([array.beats(k) for k, _ in tiles])
    build = run_bench(sim, sources(top, files), top, "verif.tb_sa_array", ArrayArgs(
        variant=variant, config=cfg, rows=rows, cols=cols, acc_width=acc_width,
        packed=input == "packed", latency=array.latency, tiles=tuple(map(tuple, tiles)),
        seed=seed, stream_cycles=cycles), build_args=build_args, testcase="gemm_stream")
    return array, build


# ----------------------------------------------------------------------- GEMM runner

#: The architectures :func:`run_gemm` maps a GEMM onto.
ARCHS = ("sa", "tc", "stc")

#: The SPARQ configuration used when neither ``config`` nor ``baseline`` is given.
DEFAULT_CONFIG = Config.preset(5)


def baselines(arch: str) -> tuple[str, ...]:
    """The baselines :func:`run_gemm` takes for ``arch``: every array variant but SPARQ."""
    table = PE_VARIANTS if _check_arch(arch) == "sa" else ARRAY_VARIANTS
    return tuple(v for v in table if v != "sparq")


@dataclasses.dataclass(frozen=True)
class GemmPlan:
    """How an ``M x K x N`` GEMM maps onto an array, and what the array's formulas say.

    An output tile is ``rows x cols`` of C; the ``tile_grid`` of ``ceil(M / rows)
    x ceil(N / cols)`` tiles runs in row-major order, back to back.  SA: a tile
    is one full-K stream of ``beats_per_tile = ceil(K / k_step)`` beats, with
    ``gap = max(0, rows - beats_per_tile)`` idle cycles before each tile but the
    first (two ``in_last`` beats at least ``rows`` cycles apart).  TC/STC: a
    tile is one sweep of ``ceil(K / k_step)`` steps, C = 0 on the first.

    ``formula_cycles`` is the array's own count for this tiling: the SA's
    ``mixed_stream_cycles`` (first beat to last result row, both included),
    the TC's ``(T - 1) * steps + cycles(K)`` (first step to the last
    ``out_valid``).  ``ideal_cycles`` is the compute bound
    ``ceil(macs / peak_macs_per_cycle)``; ``macs = M * K * N`` counts the
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
    k: int
    n: int
    tile_grid: tuple[int, int]
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
class GemmStats(GemmPlan):
    """A :class:`GemmPlan` and what the simulation measured.

    ``cycles`` is measured from the first input beat to the last result in the
    convention of the array's formula (so it equals ``formula_cycles`` when the
    hardware keeps its documented timing); ``tile_cycles`` the same per tile
    (SA: ``tile_cycles(beats)``, TC/STC: ``cycles(K)``).  ``utilization`` is
    ``macs / (pes * cycles)``: dense MACs per PE per cycle, whose peak is
    ``k_step`` (two for the pair PEs, eight or sixteen for a DP unit);
    ``peak_fraction = macs / (peak_macs_per_cycle * cycles)`` is the same as a
    share of the array's peak, 0..1.  ``seconds`` is the wall time of the
    bench run (build included when it was not cached), ``build`` its folder.
    """

    simulator: str
    cycles: int
    tile_cycles: tuple[int, ...]
    utilization: float
    peak_fraction: float
    seconds: float
    build: str


class GemmRun(tuple):
    """What :func:`run_gemm` returns: the pair ``(c, cycles)``, with ``.stats`` (a GemmStats)."""

    def __new__(cls, c: np.ndarray, cycles: int, stats: GemmStats):
        run = super().__new__(cls, (c, cycles))
        run.stats = stats
        return run

    def __getnewargs__(self):
        return (self[0], self[1], self.stats)

    @property
    def c(self) -> np.ndarray:
        return self[0]

    @property
    def cycles(self) -> int:
        return self[1]


def _check_arch(arch) -> str:
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")
    return arch


def _resolve(arch, config, baseline) -> tuple[str, Config | None]:
    """``(variant, config)`` of a run: SPARQ with a configuration, or a baseline without."""
    _check_arch(arch)
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


def _operands(a, w, arch: str, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``w`` as checked int64 matrices."""
    a = _matrix("a", a, "M, K")
    w = _matrix("w", w, "K, N")
    if a.shape[1] != w.shape[0]:
        raise ValueError(f"a is {a.shape[0]} x {a.shape[1]} and w {w.shape[0]} x {w.shape[1]}: "
                         f"K differs")
    top = (1 << _act_bits(arch, variant)) - 1
    a = _in_range("a", a, 0, top, f"activation codes of the {variant} array")
    w = _in_range("w", w, -128, 127, "signed 8-bit weights")
    if arch == "stc":
        _check_2to4(w)
    return a, w


def _check_simulator(simulator) -> str:
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, got {simulator!r}")
    return simulator


@functools.lru_cache(maxsize=16)
def _emitted(arch: str, variant: str, config: Config | None, rows: int, cols: int,
             acc_width: int):
    """``(top, files, array)``: emitted once per process and array."""
    if arch == "sa":
        return emit_array(variant, config, rows=rows, cols=cols, acc_width=acc_width)
    return emit_tc_array(arch, variant, config, rows=rows, cols=cols, acc_width=acc_width)


@functools.lru_cache(maxsize=64)
def _formula_array(arch: str, variant: str, config: Config | None, rows: int, cols: int,
                   acc_width: int):
    """The array object alone (never elaborated), for its formulas."""
    if arch == "sa":
        array = SystolicArray(variant=variant, config=config, rows=rows, cols=cols,
                              acc_width=acc_width)
    else:
        array = array_class(arch)(variant=variant, config=config, rows=rows, cols=cols,
                                  acc_width=acc_width)
    return unused(array)


def _plan(array, arch, variant, config, acc_width, m, k, n) -> GemmPlan:
    rows, cols = array.rows, array.cols
    grid = (-(-m // rows), -(-n // cols))
    tiles = grid[0] * grid[1]
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
        acc_width=acc_width, m=m, k=k, n=n, tile_grid=grid, tiles=tiles, k_step=array.k_step,
        beats_per_tile=per_tile, beats=tiles * per_tile, gap=gap, idle_cycles=gap * (tiles - 1),
        latency=array.latency, formula_cycles=formula, ideal_cycles=math.ceil(macs / peak),
        macs=macs, pes=pes, peak_macs_per_cycle=peak)


def plan_gemm(m: int, k: int, n: int, *, arch: str = "sa", config: Config | None = None,
              baseline: str | None = None, rows: int = 16, cols: int = 16,
              acc_width: int = 32) -> GemmPlan:
    """The tiling of an ``m x k`` by ``k x n`` GEMM and the array's cycle formulas, no simulation.

    Arguments as :func:`run_gemm`.
    """
    variant, config = _resolve(arch, config, baseline)
    m, k, n = (check_int(name, v, 1) for name, v in (("M", m), ("K", k), ("N", n)))
    rows, cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
    acc_width = check_acc_width(acc_width)
    array = _formula_array(arch, variant, config, rows, cols, acc_width)
    return _plan(array, arch, variant, config, acc_width, m, k, n)


def run_gemm(a, w, *, arch: str = "sa", config: Config | None = None,
             baseline: str | None = None, rows: int = 16, cols: int = 16, acc_width: int = 32,
             simulator: str = "verilator") -> GemmRun:
    """``C = A @ W`` on the emitted Verilog of an SA, TC or 2:4 STC, simulated.

    Parameters
    ----------
    a : array_like of int, (M, K)
        Activation codes 0..255 (0..15 for the ``"2x4b8b"`` baseline).
    w : array_like of int, (K, N)
        Weights -128..127; for ``arch="stc"`` 2:4 sparse along K (at most two
        non-zero weights in every group of four rows, counted from row 0).
    arch : str
        ``"sa"`` (systolic array), ``"tc"`` (tensor core) or ``"stc"``
        (2:4 sparse tensor core).
    config : golden.sparq.Config or None
        The SPARQ configuration; None means :data:`DEFAULT_CONFIG` (5opt)
        unless ``baseline`` is given.
    baseline : str or None
        Run a baseline array instead of SPARQ: ``"8b8b"``, ``"2x4b8b"`` or
        ``"sysmt"`` for the SA, ``"8b8b"`` for TC and STC
        (:func:`baselines`).  Not together with ``config``.
    rows, cols : int
        Array size: the output tile (default 16 x 16).
    acc_width : int
        Accumulator width 8..64; the hardware's sums wrap at it.
    simulator : str
        ``"verilator"`` (default) or ``"icarus"``.

    Returns
    -------
    GemmRun
        The pair ``(c, cycles)``: ``c`` (M, N) int64, read back from the
        simulation (padding dropped), and the measured cycles from the first
        input beat to the last result (see :class:`GemmStats`); ``.stats``
        holds the tiling, formula, ideal and utilization figures.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, each named (shapes, codes out of range, weights not 2:4
        for ``"stc"``, a baseline the arch lacks, ``config`` with ``baseline``).
    AssertionError
        The simulation failed (the message names its log and waveform).

    The emitted design is kept per process and array, and its simulator build
    in ``build/verif`` (keyed by the Verilog): new matrices on the same array
    rebuild nothing.  The operands travel to the bench in a ``.npz`` file in
    the build folder, and the results come back in another.
    """
    variant, config = _resolve(arch, config, baseline)
    rows, cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
    acc_width = check_acc_width(acc_width)
    simulator = _check_simulator(simulator)
    a, w = _operands(a, w, arch, variant)
    (m, k), n = a.shape, w.shape[1]

    top, files, array = _emitted(arch, variant, config, rows, cols, acc_width)
    plan = _plan(array, arch, variant, config, acc_width, m, k, n)
    build_args = ()
    if simulator == "verilator":      # a TC has no SA tiles, PEs or rows: options only
        files, build_args = verilator_setup(files, top, array.tiles if arch == "sa" else 1)
    srcs = sources(top, files)

    tm, tn = plan.tile_grid
    a_pad = np.pad(a, ((0, tm * rows - m), (0, 0)))
    w_pad = np.pad(w, ((0, 0), (0, tn * cols - n)))
    order = np.array([(i, j) for i in range(tm) for j in range(tn)], np.int64)
    # The build folder run_bench will use (the harness keys it by the Verilog).
    folder = BUILD / simulator / f"{top}-{_design_key(srcs)}" / "gemm"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    stimulus, results = folder / f"stimulus-{stem}.npz", folder / f"results-{stem}.npz"
    np.savez(stimulus, a=a_pad, w=w_pad, order=order)

    start = time.perf_counter()
    bdir = run_bench(simulator, srcs, top, "verif.tb_gemm", GemmArgs(
        arch=arch, variant=variant, config=config, rows=rows, cols=cols, acc_width=acc_width,
        k_step=plan.k_step, latency=plan.latency, gap=plan.gap, stimulus=str(stimulus),
        results=str(results)), testcase="gemm", build_args=build_args)
    seconds = time.perf_counter() - start
    with np.load(results) as r:
        c_tiles, out_cycles = r["c"], r["result_cycles"]
        first, last = r["first_beats"], r["last_beats"]
    stimulus.unlink(missing_ok=True)
    results.unlink(missing_ok=True)

    c = c_tiles.reshape(tm, tn, rows, cols).transpose(0, 2, 1, 3).reshape(
        tm * rows, tn * cols)[:m, :n].astype(np.int64)
    inclusive = 1 if arch == "sa" else 0        # the arrays' formula conventions
    cycles = int(out_cycles[-1, -1] - first[0]) + inclusive
    tile_cycles = tuple(int(v) for v in out_cycles[:, -1] - first + inclusive)
    assert int(last[-1] - first[0]) + 1 == plan.beats + plan.idle_cycles, \
        "the bench did not stream the tiles back to back"
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    stats = GemmStats(**fields,
                      simulator=simulator, cycles=cycles, tile_cycles=tile_cycles,
                      utilization=plan.macs / (plan.pes * cycles),
                      peak_fraction=plan.macs / (plan.peak_macs_per_cycle * cycles),
                      seconds=seconds, build=str(bdir))
    return GemmRun(c, cycles, stats)
