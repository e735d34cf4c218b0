"""The GEMM runner (verif.runner.run_gemm) on the emitted Verilog: values, cycles, cache, errors.

Every case compares the C read back from the simulation with the golden model
element by element and the measured cycles with the array's own formula for
the tiling, computed here from a fresh array object.  Icarus runs small
arrays (a few seconds each); one Verilator case builds a 3x5 SA.
"""

from __future__ import annotations

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
from verif.kit import activations, sparse_2to4, weights
from verif.runner import DEFAULT_CONFIG, plan_gemm, run_gemm


def reference(a, w, arch, baseline, config, acc_width):
    """What the hardware must compute: golden.sparq.matmul, or the baseline's reference."""
    stc = arch == "stc"
    if baseline is None:
        return matmul(a, w, config or DEFAULT_CONFIG, stc=stc, acc_width=acc_width)
    if arch == "sa":
        return pe_class(baseline).reference(a, w, None, acc_width)
    return dp_class(baseline).reference(a, w, 0, None, acc_width, stc=stc)


def operands(rng, arch, baseline, m, k, n):
    top = 16 if baseline == "2x4b8b" else 256
    a = activations(rng, (m, k), 0.3, top)
    w = sparse_2to4(rng, k, n) if arch == "stc" else weights(rng, (k, n))
    return a, w


def formula(arch, baseline, config, rows, cols, acc_width, m, k, n):
    """``(total cycles, cycles of each tile)`` by the array's own formulas."""
    variant = baseline or "sparq"
    config = None if baseline else (config or DEFAULT_CONFIG)
    tiles = -(-m // rows) * -(-n // cols)
    if arch == "sa":
        array = unused(SystolicArray(variant=variant, config=config, rows=rows, cols=cols,
                                     acc_width=acc_width))
        beats = array.beats(k)
        return array.mixed_stream_cycles([beats] * tiles), (array.tile_cycles(beats),) * tiles
    array = unused(array_class(arch)(variant=variant, config=config, rows=rows, cols=cols,
                                     acc_width=acc_width))
    # Sweeps back to back: each ends steps(K) cycles after the previous one.
    return (tiles - 1) * array.steps(k) + array.cycles(k), (array.cycles(k),) * tiles


def check(arch, baseline, config, rows, cols, m, k, n, acc_width=32, sim="icarus", seed=None):
    seed = zlib.crc32(repr((arch, baseline, config, rows, cols, m, k, n)).encode()) \
        if seed is None else seed
    rng = np.random.default_rng(seed)
    a, w = operands(rng, arch, baseline, m, k, n)
    run = run_gemm(a, w, arch=arch, config=config, baseline=baseline, rows=rows, cols=cols,
                   acc_width=acc_width, simulator=sim)
    c, cycles = run
    want = reference(a, w, arch, baseline, config, acc_width)
    assert c.shape == (m, n) and c.dtype == np.int64
    bad = np.argwhere(c != want)
    assert not len(bad), (f"{len(bad)} of {c.size} elements differ, first at {tuple(bad[0])}: "
                          f"hardware {c[tuple(bad[0])]}, golden {want[tuple(bad[0])]}")
    total, per_tile = formula(arch, baseline, config, rows, cols, acc_width, m, k, n)
    s = run.stats
    assert cycles == s.cycles == s.formula_cycles == total, (cycles, s.formula_cycles, total)
    assert s.tile_cycles == per_tile
    assert s.tiles == -(-m // rows) * -(-n // cols) and s.macs == m * k * n
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


def test_gemm_verilator():
    check("sa", None, None, 3, 5, 5, 13, 7, sim="verilator")


def test_new_matrices_reuse_the_build():
    """Stimulus lives outside the Verilog: a second GEMM on the same array builds nothing."""
    first, _, _ = check("sa", None, None, 4, 4, 5, 13, 7, seed=1)
    vvp = next(Path(first.stats.build).glob("*.vvp"))
    built = vvp.stat().st_mtime_ns
    second, _, _ = check("sa", None, None, 4, 4, 6, 20, 3, seed=2)
    assert second.stats.build == first.stats.build
    assert vvp.stat().st_mtime_ns == built, "the second run rebuilt the simulator"
    assert not list((vvp.parent / "gemm").glob("*.npz")), "stimulus or results left behind"


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
]


@pytest.mark.parametrize("change, error, message", ERRORS)
def test_bad_inputs(change, error, message):
    kwargs = {"a": A, "w": W, "rows": 2, "cols": 2, "simulator": "icarus"} | change
    with pytest.raises(error, match=message):
        run_gemm(kwargs.pop("a"), kwargs.pop("w"), **kwargs)
