"""Run emitted arrays on the simulators: the library the regressions, benchmarks and users call.

:func:`run_array` streams random GEMM tiles through an emitted SA and checks
them in the bench (:mod:`verif.tb_sa_array`); it returns the array and the
bench's build folder.

:func:`run_gemm` runs the user's own ``C = A @ W`` (or a grouped GEMM) through
an emitted SA, TC or STC and returns C as the simulated hardware computed it,
the measured cycle count and, as ``.stats``, the run's :class:`GemmStats`.  Two
backends stream the same tiles by the same rules: ``"compiled"``, a
Verilator-compiled C++ harness with no Python per cycle
(:mod:`verif.gemm.compiled`), and ``"cocotb"``, the cocotb bench
:mod:`verif.tb_gemm` (Icarus or Verilator).  :func:`plan_gemm` gives the same
tiling and formula figures without simulating.  docs/runner.md is the user's guide.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from golden.sparq import Config
from hdl.checks import check_acc_width, check_int
from hdl.sa.build import emit_array
from hdl.tc.build import emit_array as emit_tc_array
from verif.gemm import compiled, shard
from verif.gemm.plan import (
    ARCHS,
    DEFAULT_CONFIG,
    GemmPlan,
    Tiling,
    baselines,
    check_operands,
    make_plan,
    plan_gemm,
    resolve,
    tiling,
)
from verif.gemm.words import fields_of
from verif.harness import BUILD, SIMULATORS, _design_key, run_bench, sources
from verif.tb_gemm import GemmArgs
from verif.tb_sa_array import ArrayArgs

__all__ = ["TILES", "run_array", "verilator_setup", "VERILATOR_ARGS", "BACKENDS",
           "ARCHS", "DEFAULT_CONFIG", "baselines", "run_gemm", "plan_gemm", "GemmPlan",
           "GemmStats", "GemmRun", "HarnessBuildError"]

HarnessBuildError = compiled.HarnessBuildError

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

#: The simulation backends of :func:`run_gemm`.
BACKENDS = ("compiled", "cocotb")


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
    call's simulation step (the build included when it was not cached),
    ``sim_seconds`` the simulator's own run (the compiled executable, or the
    cocotb run) and ``sim_cpu_seconds`` its CPU time (compiled backend; 0 for
    cocotb), ``build_seconds`` the build's (0 when it was cached), ``build``
    its folder; with a Dask client, ``sim_seconds`` and ``build_seconds`` are
    summed over the ``shards`` runs.
    """

    simulator: str
    backend: str
    threads: int
    cycles: int
    tile_cycles: tuple[int, ...]
    utilization: float
    peak_fraction: float
    seconds: float
    sim_seconds: float
    sim_cpu_seconds: float
    build_seconds: float
    build: str
    shards: int


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


def _check_simulator(simulator) -> str:
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, got {simulator!r}")
    return simulator


def _check_backend(backend, simulator: str, threads) -> tuple[str, int]:
    """``(backend, threads)``: the compiled harness for Verilator, the cocotb bench for Icarus."""
    if backend is None:
        backend = "compiled" if simulator == "verilator" else "cocotb"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} (or None), got "
                         f"{backend!r}")
    if backend == "compiled" and simulator != "verilator":
        raise ValueError(f"backend 'compiled' is a Verilator C++ harness; simulator "
                         f"{simulator!r} runs through backend 'cocotb' (or pass "
                         f"simulator='verilator')")
    if threads is None:
        return backend, 1
    threads = check_int("threads", threads, 1)
    if backend != "compiled":
        raise ValueError(f"threads={threads} applies to the compiled backend (a multi-threaded "
                         f"Verilator model) only, not to backend {backend!r}")
    return backend, threads


@functools.lru_cache(maxsize=16)
def _emitted(arch: str, variant: str, config: Config | None, rows: int, cols: int,
             acc_width: int):
    """``(top, files, array)``: emitted once per process and array."""
    if arch == "sa":
        return emit_array(variant, config, rows=rows, cols=cols, acc_width=acc_width)
    return emit_tc_array(arch, variant, config, rows=rows, cols=cols, acc_width=acc_width)


def _results(plan: GemmPlan, c_tiles, out_cycles, first, last, til: Tiling):
    """C, the measured cycles and per-tile cycles from what a backend recorded."""
    c = til.assemble(np.asarray(c_tiles, np.int64), plan.m, plan.n)
    inclusive = 1 if plan.arch == "sa" else 0        # the arrays' formula conventions
    cycles = int(out_cycles[-1, -1] - first[0]) + inclusive
    tile_cycles = tuple(int(v) for v in out_cycles[:, -1] - first + inclusive)
    assert int(last[-1] - first[0]) + 1 == plan.beats + plan.idle_cycles, \
        "the bench did not stream the tiles back to back"
    return c, cycles, tile_cycles


def _run_cocotb(plan: GemmPlan, til: Tiling, top, srcs, simulator, build_args):
    """The cocotb bench: returns ``(c_tiles, result cycles, first, last, sim s, build dir)``."""
    # Each call has its own operand files, so parallel calls on one design never meet.
    folder = BUILD / simulator / f"{top}-{_design_key(srcs)}" / "gemm"
    folder.mkdir(parents=True, exist_ok=True)
    call = Path(tempfile.mkdtemp(prefix="call-", dir=folder))
    try:
        stimulus, results = call / "stimulus.npz", call / "results.npz"
        np.savez(stimulus, a_blocks=til.a_blocks, w_blocks=til.w_blocks, order=til.order)
        start = time.perf_counter()
        bdir = run_bench(simulator, srcs, top, "verif.tb_gemm", GemmArgs(
            arch=plan.arch, variant=plan.variant, config=plan.config, rows=plan.rows,
            cols=plan.cols, acc_width=plan.acc_width, k_step=plan.k_step, latency=plan.latency,
            gap=plan.gap, stimulus=str(stimulus), results=str(results)),
            testcase="gemm", build_args=build_args)
        seconds = time.perf_counter() - start
        with np.load(results) as r:
            return (r["c"], r["result_cycles"], r["first_beats"], r["last_beats"], seconds,
                    bdir)
    finally:
        shutil.rmtree(call, ignore_errors=True)


def _run_compiled(plan: GemmPlan, til: Tiling, top, srcs, build_args, threads):
    """The compiled harness: same returns as :func:`_run_cocotb`, plus the build."""
    harness = compiled.build(top, srcs, plan.arch, build_args, threads)
    res = compiled.simulate(harness, plan, til)
    compiled.check_width(plan.arch, plan, res)
    per = plan.rows if plan.arch == "sa" else 1
    tiles = len(til.order)
    assert len(res.cycles) == tiles * per, \
        f"{tiles} tiles should give {tiles * per} results, the design gave {len(res.cycles)}"
    if plan.arch == "sa":
        want = np.tile(np.arange(per), tiles)
        assert (res.index == want).all(), \
            f"result rows came as out_index {res.index[:16].tolist()}..., expected " \
            f"{want[:16].tolist()}..."
    count = plan.cols if plan.arch == "sa" else plan.rows * plan.cols
    values = fields_of(res.words, plan.acc_width, count)
    c_tiles = values.reshape(tiles, plan.rows, plan.cols)
    return (c_tiles, res.cycles.reshape(tiles, per), res.first_beats, res.last_beats,
            res.seconds, res.cpu_seconds, harness)


def simulate_tiles(plan: GemmPlan, til: Tiling, simulator: str, backend: str,
                   threads: int) -> shard.Raw:
    """Stream ``til``'s tiles through the emitted array of ``plan`` on one simulator run.

    What every backend records, before the host's checks: each tile's results
    and their cycles, each tile's first and last beat.  The unit of work of a
    sharded run (:mod:`verif.gemm.shard`) too.
    """
    top, files, array = _emitted(plan.arch, plan.variant, plan.config, plan.rows, plan.cols,
                                 plan.acc_width)
    build_args = ()
    if simulator == "verilator":      # a TC has no SA tiles, PEs or rows: options only
        files, build_args = verilator_setup(files, top, array.tiles if plan.arch == "sa" else 1)
    srcs = sources(top, files)
    if backend == "compiled":
        # The cocotb-only options (VPI visibility) do not apply to the C++ harness.
        extra = tuple(x for x in build_args if x not in VERILATOR_ARGS) + ("-Wno-fatal",)
        c_tiles, out_cycles, first, last, sim_s, cpu_s, harness = _run_compiled(
            plan, til, top, srcs, extra, threads)
        return shard.Raw(c_tiles, out_cycles, first, last, sim_s, harness.seconds,
                         str(harness.folder), sim_cpu_seconds=cpu_s)
    c_tiles, out_cycles, first, last, sim_s, bdir = _run_cocotb(
        plan, til, top, srcs, simulator, build_args)
    return shard.Raw(c_tiles, out_cycles, first, last, sim_s, 0.0, str(bdir))


def run_gemm(a, w, *, arch: str = "sa", config: Config | None = None,
             baseline: str | None = None, rows: int = 16, cols: int = 16, acc_width: int = 32,
             groups: int = 1, simulator: str = "verilator", backend: str | None = None,
             threads: int | None = None, client=None, shards: int | None = None) -> GemmRun:
    """``C = A @ W`` on the emitted Verilog of an SA, TC or 2:4 STC, simulated.

    Parameters
    ----------
    a : array_like of int, (M, K) or (M, groups * Kg)
        Activation codes 0..255 (0..15 for the ``"2x4b8b"`` baseline).
    w : array_like of int, (K, N) or (Kg, N)
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
    groups : int
        A grouped GEMM (a grouped or depthwise convolution): ``groups``
        independent GEMMs, group ``g`` taking the columns ``g*Kg .. (g+1)*Kg - 1``
        of ``a`` and the output columns ``g*Ng .. (g+1)*Ng - 1`` of ``w``
        (``Ng = N / groups``, which must be whole).  Each group runs as its own
        tiles (pairs never cross groups); the groups' tiles run back to back.
    simulator : str
        ``"verilator"`` (default) or ``"icarus"``.
    backend : str or None
        ``"compiled"`` (a Verilator-compiled C++ harness, no Python per cycle;
        the default with Verilator) or ``"cocotb"`` (the cocotb bench; the
        only one with Icarus).  Both stream the same tiles by the same rules
        and give the same results and cycles.
    threads : int or None
        Threads of the Verilated model (``verilator --threads``; compiled
        backend only; a separate build per count).
    client : dask.distributed.Client or None
        Run the tiles on a Dask cluster: they are cut into ``shards``
        contiguous runs (default: one per worker), each simulated on a worker
        with the same backend; C equals the serial run's bit for bit, and the
        cycles are those of the single array streaming every tile
        (:mod:`verif.gemm.shard`).
    shards : int or None
        How many runs to cut the tiles into (``client`` only).

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
        for ``"stc"``, a baseline the arch lacks, ``config`` with ``baseline``,
        an option the backend does not take).
    HarnessBuildError
        The compiled harness did not build (the message names the build log).
    AssertionError
        The simulation failed (the message names its log and waveform).

    The emitted design is kept per process and array, and its simulator build
    under ``build/verif`` (keyed by the Verilog and the build options): new
    matrices on the same array rebuild nothing.
    """
    variant, config = resolve(arch, config, baseline)
    rows, cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
    acc_width = check_acc_width(acc_width)
    simulator = _check_simulator(simulator)
    backend, threads = _check_backend(backend, simulator, threads)
    a, w, groups = check_operands(a, w, arch, variant, groups)
    m, n, k = a.shape[0], w.shape[1], w.shape[0]
    shards = shard.check(client, shards)

    array = _emitted(arch, variant, config, rows, cols, acc_width)[2]
    plan = make_plan(array, arch, variant, config, acc_width, m, k, n, groups)
    til = tiling(plan, a, w)
    start = time.perf_counter()
    if client is None:
        raw = simulate_tiles(plan, til, simulator, backend, threads)
    else:
        raw = shard.run(client, plan, til, simulator, backend, threads, shards)
    seconds = time.perf_counter() - start
    c, cycles, tile_cycles = _results(plan, raw.c_tiles, raw.out_cycles, raw.first, raw.last,
                                      til)
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    stats = GemmStats(**fields, simulator=simulator, backend=backend, threads=threads,
                      cycles=cycles, tile_cycles=tile_cycles,
                      utilization=plan.macs / (plan.pes * cycles),
                      peak_fraction=plan.macs / (plan.peak_macs_per_cycle * cycles),
                      seconds=seconds, sim_seconds=raw.sim_seconds,
                      sim_cpu_seconds=raw.sim_cpu_seconds,
                      build_seconds=raw.build_seconds, build=raw.build, shards=raw.shards)
    return GemmRun(c, cycles, stats)
