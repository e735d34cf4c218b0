"""The GEMM runner (verif.runner.run_gemm) on the emitted Verilog: values, cycles, cache, errors.

Every case compares the C read back from the simulation with the golden model
element by element and the measured cycles with the array's own formula for
the tiling, computed here from a fresh array object.  The cocotb bench runs
small arrays on Icarus (a few seconds each); the compiled Verilator harness runs
every arch and baseline on random GEMMs with odd M, K and N and must give the
cocotb bench's results and cycles exactly; grouped GEMMs go through both.
"""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from golden.sparq import Config, matmul
from hdl.emit.hierarchy import unused
from hdl.sa.array import SystolicArray
from hdl.sa.variants import pe_class
from hdl.tc.build import array_class
from hdl.tc.variants import dp_class
from verif.gemm import compiled
from verif.kit import activations, sparse_2to4, weights
from verif.runner import DEFAULT_CONFIG, HarnessBuildError, plan_gemm, run_gemm


def reference(a, w, arch, baseline, config, acc_width, groups=1):
    """What the hardware must compute: golden.sparq.matmul, or the baseline's reference.

    A grouped GEMM is each group's own product, side by side.
    """
    if groups > 1:
        kg, ng = w.shape[0], w.shape[1] // groups
        return np.concatenate([reference(a[:, g * kg:(g + 1) * kg], w[:, g * ng:(g + 1) * ng],
                                         arch, baseline, config, acc_width)
                               for g in range(groups)], axis=1)
    stc = arch == "stc"
    if baseline is None:
        return matmul(a, w, config or DEFAULT_CONFIG, stc=stc, acc_width=acc_width)
    if arch == "sa":
        return pe_class(baseline).reference(a, w, None, acc_width)
    return dp_class(baseline).reference(a, w, 0, None, acc_width, stc=stc)


def operands(rng, arch, baseline, m, k, n, groups=1):
    """A (M, groups * K) and W (K, N): each group's weights 2:4 along its own K for the STC."""
    top = 16 if baseline == "2x4b8b" else 256
    a = activations(rng, (m, groups * k), 0.3, top)
    w = sparse_2to4(rng, k, n) if arch == "stc" else weights(rng, (k, n))
    return a, w


def formula(arch, baseline, config, rows, cols, acc_width, m, k, n, groups=1):
    """``(total cycles, cycles of each tile)`` by the array's own formulas."""
    variant = baseline or "sparq"
    config = None if baseline else (config or DEFAULT_CONFIG)
    tiles = groups * -(-m // rows) * -(-(n // groups) // cols)
    if arch == "sa":
        array = unused(SystolicArray(variant=variant, config=config, rows=rows, cols=cols,
                                     acc_width=acc_width))
        beats = array.beats(k)
        return array.mixed_stream_cycles([beats] * tiles), (array.tile_cycles(beats),) * tiles
    array = unused(array_class(arch)(variant=variant, config=config, rows=rows, cols=cols,
                                     acc_width=acc_width))
    # Sweeps back to back: each ends steps(K) cycles after the previous one.
    return (tiles - 1) * array.steps(k) + array.cycles(k), (array.cycles(k),) * tiles


def check(arch, baseline, config, rows, cols, m, k, n, acc_width=32, sim="icarus", seed=None,
          groups=1, backend=None, operands_=None):
    seed = zlib.crc32(repr((arch, baseline, config, rows, cols, m, k, n, groups)).encode()) \
        if seed is None else seed
    rng = np.random.default_rng(seed)
    a, w = operands_ or operands(rng, arch, baseline, m, k, n, groups)
    run = run_gemm(a, w, arch=arch, config=config, baseline=baseline, rows=rows, cols=cols,
                   acc_width=acc_width, simulator=sim, groups=groups, backend=backend)
    c, cycles = run
    want = reference(a, w, arch, baseline, config, acc_width, groups)
    assert c.shape == (m, n) and c.dtype == np.int64
    bad = np.argwhere(c != want)
    assert not len(bad), (f"{len(bad)} of {c.size} elements differ, first at {tuple(bad[0])}: "
                          f"hardware {c[tuple(bad[0])]}, golden {want[tuple(bad[0])]}")
    total, per_tile = formula(arch, baseline, config, rows, cols, acc_width, m, k, n, groups)
    s = run.stats
    assert cycles == s.cycles == s.formula_cycles == total, (cycles, s.formula_cycles, total)
    assert s.tile_cycles == per_tile
    assert s.tiles == groups * -(-m // rows) * -(-(n // groups) // cols)
    assert s.macs == m * k * n
    assert s.utilization == pytest.approx(m * k * n / (rows * cols * cycles))
    assert 0 < s.peak_fraction <= 1 and s.ideal_cycles <= cycles
    return run, a, w


# (arch, baseline, config, rows, cols, M, K, N, acc_width)
CASES = [
    pytest.param("sa", None, None, 4, 4, 5, 13, 7, 32, id="sa-5opt-4x4"),
    pytest.param("sa", "8b8b", None, 4, 4, 5, 13, 7, 32, id="sa-8b8b-4x4"),
    pytest.param("tc", None, None, 2, 2, 3, 37, 6, 32, id="tc-5opt-2x2"),
    pytest.param("tc", "8b8b", None, 2, 2, 3, 37, 6, 32, id="tc-8b8b-2x2"),
    pytest.param("stc", None, None, 2, 2, 3, 37, 6, 32, id="stc-5opt-2x2"),
    pytest.param("stc", "8b8b", None, 2, 2, 3, 37, 6, 32, id="stc-8b8b-2x2"),
    # The other SA baselines; SySMT with a 16-bit accumulator that wraps.
    pytest.param("sa", "2x4b8b", None, 2, 3, 5, 9, 4, 32, id="sa-2x4b8b-2x3"),
    pytest.param("sa", "sysmt", None, 2, 3, 5, 37, 4, 16, id="sa-sysmt-2x3-acc16"),
    # A configuration other than the default.
    pytest.param("tc", None, Config.preset(3, rounding=False), 2, 2, 3, 21, 5, 32,
                 id="tc-3opt-trim-2x2"),
    # Tiles shorter than the rows (the rows-apart rule adds idle cycles), K = 3.
    pytest.param("sa", None, None, 4, 4, 9, 3, 5, 32, id="sa-5opt-4x4-short-tiles"),
    # One element; K below k_step on the tensor cores.
    pytest.param("sa", None, None, 4, 4, 1, 1, 1, 32, id="sa-5opt-4x4-1x1x1"),
    pytest.param("tc", None, None, 2, 2, 3, 5, 3, 32, id="tc-5opt-2x2-K5"),
    pytest.param("stc", "8b8b", None, 2, 2, 2, 3, 5, 32, id="stc-8b8b-2x2-K3"),
]


@pytest.mark.parametrize("arch, baseline, config, rows, cols, m, k, n, acc_width", CASES)
def test_gemm_icarus(arch, baseline, config, rows, cols, m, k, n, acc_width):
    check(arch, baseline, config, rows, cols, m, k, n, acc_width)


def test_gemm_verilator_cocotb():
    check("sa", None, None, 3, 5, 5, 13, 7, sim="verilator", backend="cocotb")


# (arch, baseline, config, rows, cols, M, K, N): odd sizes, every arch and baseline, two tile
# edges (M and N not multiples of the array) and K not a multiple of k_step.
AGREE = [
    pytest.param("sa", None, None, 3, 5, 7, 13, 11, id="sa-5opt-3x5"),
    pytest.param("sa", "8b8b", None, 3, 5, 7, 13, 11, id="sa-8b8b-3x5"),
    pytest.param("sa", "2x4b8b", None, 3, 5, 7, 13, 11, id="sa-2x4b8b-3x5"),
    pytest.param("sa", "sysmt", None, 3, 5, 7, 13, 11, id="sa-sysmt-3x5"),
    pytest.param("sa", None, Config.preset(2, rounding=False), 4, 2, 5, 3, 3,
                 id="sa-2opt-trim-4x2-short-tiles"),
    pytest.param("tc", None, None, 3, 2, 5, 37, 5, id="tc-5opt-3x2"),
    pytest.param("tc", "8b8b", None, 3, 2, 5, 37, 5, id="tc-8b8b-3x2"),
    pytest.param("stc", None, None, 3, 2, 5, 37, 5, id="stc-5opt-3x2"),
    pytest.param("stc", "8b8b", None, 3, 2, 5, 37, 5, id="stc-8b8b-3x2"),
]


@pytest.mark.parametrize("arch, baseline, config, rows, cols, m, k, n", AGREE)
def test_compiled_harness_agrees_with_the_cocotb_bench(arch, baseline, config, rows, cols,
                                                       m, k, n):
    """Same GEMM through both backends: equal results, cycles and tile cycles (and golden)."""
    rng = np.random.default_rng(zlib.crc32(repr((arch, baseline, m, k, n)).encode()))
    ops = operands(rng, arch, baseline, m, k, n)
    fast, _, _ = check(arch, baseline, config, rows, cols, m, k, n, sim="verilator",
                       backend="compiled", operands_=ops)
    slow, _, _ = check(arch, baseline, config, rows, cols, m, k, n, sim="icarus",
                       backend="cocotb", operands_=ops)
    assert (fast.c == slow.c).all()
    assert (fast.cycles, fast.stats.tile_cycles) == (slow.cycles, slow.stats.tile_cycles)
    assert (fast.stats.backend, slow.stats.backend) == ("compiled", "cocotb")


# (arch, baseline, rows, cols, M, Kg, N, groups): odd channels per group, a depthwise layer
# (one output column per group, K = the 3x3 taps), 2:4 weights within each group's K.
GROUPED = [
    pytest.param("sa", None, 4, 4, 5, 9, 6, 6, id="sa-5opt-depthwise-K9"),
    pytest.param("sa", "8b8b", 4, 4, 5, 7, 9, 3, id="sa-8b8b-g3-K7"),
    pytest.param("tc", None, 2, 2, 3, 11, 6, 2, id="tc-5opt-g2-K11"),
    pytest.param("stc", None, 2, 2, 3, 12, 6, 3, id="stc-5opt-g3-K12"),
]


@pytest.mark.parametrize("arch, baseline, rows, cols, m, k, n, groups", GROUPED)
@pytest.mark.parametrize("backend", ["compiled", "cocotb"])
def test_grouped_gemm(arch, baseline, rows, cols, m, k, n, groups, backend):
    """Each group is its own GEMM (pairs never cross a group), tiles back to back."""
    sim = "verilator" if backend == "compiled" else "icarus"
    run, a, w = check(arch, baseline, None, rows, cols, m, k, n, sim=sim, groups=groups,
                      backend=backend)
    assert run.stats.groups == groups and run.stats.k == k


def _created_folders(monkeypatch) -> list[Path]:
    """Record the per-call folders run_gemm makes (for its stimulus and results)."""
    made, real = [], tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(Path(real(*args, **kwargs)))
        return str(made[-1])
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    return made


def test_new_matrices_reuse_the_build(monkeypatch):
    """Stimulus lives outside the Verilog: a second GEMM on the same array builds nothing."""
    made = _created_folders(monkeypatch)
    first, _, _ = check("sa", None, None, 4, 4, 5, 13, 7, seed=1, backend="cocotb")
    vvp = next(Path(first.stats.build).glob("*.vvp"))
    built = vvp.stat().st_mtime_ns
    second, _, _ = check("sa", None, None, 4, 4, 6, 20, 3, seed=2, backend="cocotb")
    assert second.stats.build == first.stats.build
    assert vvp.stat().st_mtime_ns == built, "the second run rebuilt the simulator"
    assert len(made) == 2 and not any(p.exists() for p in made), \
        "run_gemm left its stimulus or results behind"


def test_compiled_build_is_reused():
    first, _, _ = check("sa", None, None, 3, 5, 5, 13, 7, sim="verilator", backend="compiled")
    second, _, _ = check("sa", None, None, 3, 5, 9, 4, 12, sim="verilator", backend="compiled")
    assert second.stats.build == first.stats.build and second.stats.build_seconds == 0
    assert not list(Path(first.stats.build).glob("gemm-*")), "per-call files left behind"


def test_harness_build_failure_names_the_log(monkeypatch, tmp_path):
    broken = tmp_path / "harness.cpp"
    broken.write_text("#include \"gemm_ports.h\"\nint main() { return undefined_name; }\n")
    monkeypatch.setattr(compiled, "HARNESS", broken)
    with pytest.raises(HarnessBuildError, match=r"failed \(exit \d+\); log: .*build\.log") as e:
        check("sa", None, None, 3, 5, 5, 13, 7, sim="verilator", backend="compiled")
    log = Path(str(e.value).rsplit("log: ", 1)[1])
    assert "undefined_name" in log.read_text()


def test_plan_matches_the_run():
    run, a, w = check("tc", None, None, 2, 2, 3, 37, 6)
    plan = plan_gemm(3, 37, 6, arch="tc", rows=2, cols=2)
    assert all(getattr(run.stats, f) == getattr(plan, f) for f in plan.__dataclass_fields__)
    assert (plan.tiles, plan.beats_per_tile, plan.k_step) == (6, 5, 8)


# ------------------------------------------------------------------------------ errors

A, W = np.ones((3, 8), np.int64), np.ones((8, 2), np.int64)
DENSE_W = np.ones((8, 2), np.int64)      # 4 non-zero weights in a group of 4: not 2:4

ERRORS = [
    pytest.param({"a": A.astype(float)}, TypeError, "a must be a 2-D array of integers",
                 id="float-a"),
    pytest.param({"w": W.astype(bool)}, TypeError, "w must be a 2-D array of integers",
                 id="bool-w"),
    pytest.param({"a": np.ones(8, np.int64)}, ValueError, r"a must be 2-D \(M, K\)", id="1d-a"),
    pytest.param({"a": np.ones((0, 8), np.int64)}, ValueError, "a must have M, K >= 1",
                 id="empty-a"),
    pytest.param({"w": np.ones((7, 2), np.int64)}, ValueError, "K differs", id="k-differs"),
    pytest.param({"a": np.full((3, 8), 256)}, ValueError, r"a\[0, 0\] = 256 is outside 0\.\.255",
                 id="a-256"),
    pytest.param({"a": np.full((3, 8), -1)}, ValueError, r"a\[0, 0\] = -1 is outside", id="a-neg"),
    pytest.param({"a": np.full((3, 8), 16), "baseline": "2x4b8b"}, ValueError,
                 r"a\[0, 0\] = 16 is outside 0\.\.15", id="2x4b8b-a-16"),
    pytest.param({"w": np.full((8, 2), -129)}, ValueError, r"w\[0, 0\] = -129 is outside -128",
                 id="w-129"),
    pytest.param({"w": DENSE_W, "arch": "stc"}, ValueError,
                 r"w is not 2:4 sparse along K.*column 0, rows 0\.\.3", id="stc-dense-w"),
    pytest.param({"baseline": "sysmt", "arch": "tc"}, ValueError,
                 r"baseline 'sysmt' is not available for arch='tc'; allowed: 8b8b", id="tc-sysmt"),
    pytest.param({"baseline": "2x4b8b", "arch": "stc"}, ValueError,
                 "baseline '2x4b8b' is not available for arch='stc'", id="stc-2x4b8b"),
    pytest.param({"baseline": "sparq"}, ValueError, "baseline 'sparq' is not available",
                 id="baseline-sparq"),
    pytest.param({"baseline": "8b8b", "config": Config.preset(5)}, ValueError,
                 "config='5opt' given with baseline='8b8b'", id="config-and-baseline"),
    pytest.param({"config": 5}, TypeError, "config must be a golden.sparq.Config", id="config-int"),
    pytest.param({"arch": "gpu"}, ValueError, "arch must be one of sa, tc, stc, got 'gpu'",
                 id="arch"),
    pytest.param({"simulator": "vcs"}, ValueError, "simulator must be one of", id="simulator"),
    pytest.param({"rows": 0}, ValueError, "rows must be >= 1, got 0", id="rows-0"),
    pytest.param({"cols": "4"}, TypeError, "cols must be an int", id="cols-str"),
    pytest.param({"acc_width": 4}, ValueError, "acc_width must be in 8..64", id="acc-4"),
    pytest.param({"backend": "vcs"}, ValueError, "backend must be one of compiled, cocotb",
                 id="backend"),
    pytest.param({"backend": "compiled"}, ValueError,
                 "backend 'compiled' is a Verilator C\\+\\+ harness; simulator 'icarus'",
                 id="compiled-icarus"),
    pytest.param({"threads": 2}, ValueError, "threads=2 applies to the compiled backend",
                 id="threads-cocotb"),
    pytest.param({"threads": 0, "simulator": "verilator"}, ValueError,
                 "threads must be >= 1, got 0", id="threads-0"),
    pytest.param({"groups": 3}, ValueError, "groups=3 must divide the output columns N=2",
                 id="groups-divide"),
    pytest.param({"groups": 2, "w": np.ones((8, 4), np.int64)}, ValueError,
                 r"with groups=2: a needs groups x 8 = 16 columns", id="groups-k"),
    pytest.param({"groups": 0}, ValueError, "groups must be >= 1, got 0", id="groups-0"),
]


@pytest.mark.parametrize("change, error, message", ERRORS)
def test_bad_inputs(change, error, message):
    kwargs = {"a": A, "w": W, "rows": 2, "cols": 2, "simulator": "icarus"} | change
    with pytest.raises(error, match=message):
        run_gemm(kwargs.pop("a"), kwargs.pop("w"), **kwargs)


# ------------------------------------------------------------------------ on a Dask cluster

def test_sharded_run_equals_the_serial_run():
    """Tiles on two worker processes: C bit for bit and the single array's cycles."""
    import distributed  # the sweep extra, part of the test set-up (a missing one fails)
    rng = np.random.default_rng(7)
    a, w = operands(rng, "sa", None, 11, 13, 12)
    serial, _, _ = check("sa", None, None, 3, 5, 11, 13, 12, sim="verilator",
                         backend="compiled", operands_=(a, w))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        for shards in (None, 5):
            run = run_gemm(a, w, rows=3, cols=5, client=client, shards=shards)
            assert (run.c == serial.c).all()
            assert (run.cycles, run.stats.tile_cycles) == (serial.cycles,
                                                           serial.stats.tile_cycles)
            assert run.stats.shards == (2 if shards is None else 5)


def test_shards_need_a_client():
    with pytest.raises(ValueError, match="shards=2 applies to a run on a Dask client only"):
        run_gemm(A, W, rows=2, cols=2, shards=2)
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        run_gemm(A, W, rows=2, cols=2, client=object())
