"""Real layers of the trained CNN through the emitted RTL (workloads.layers).

The default suite runs the classifier layer of a few test images on a 4x4 SPARQ SA and a
4x4 SPARQ TC (Icarus), checks the RTL element by element against golden.sparq.matmul,
the cycles against plan_gemm and the network's logits against the host model, and checks
the plumbing of every layer (conv layouts, STC) with the simulator replaced by the golden
model.  The full report run is behind ``-m slow``.
"""

import dataclasses

import numpy as np
import pytest

try:
    import torch
except ImportError:                                             # pragma: no cover
    pytest.skip("PyTorch is missing: see test_environment.py", allow_module_level=True)

from golden.sparq import Config
from verif.runner import GemmRun, GemmStats, plan_gemm
from workloads import layers as L
from workloads import quantize_model
from workloads.data import calibration_batches, load_fashion_mnist, to_tensor
from workloads.train import load

C5 = Config.preset(5)
IMAGES = 4


@pytest.fixture(scope="module")
def data(fmnist_test):
    xte, yte = fmnist_test
    xtr, _ = load_fashion_mnist("train")
    calib = calibration_batches(to_tensor(xtr[:2048]), 256, seed=0)
    return to_tensor(xte[:IMAGES]), calib


@pytest.fixture(scope="module")
def dense_5opt(data):
    return quantize_model(load(pruned=False), C5, data[1])


def _check(q, x, design, logits, records, layers):
    assert [r.layer for r in records] == list(layers)
    with torch.no_grad():
        want = q(x)
    assert torch.equal(logits, want), "RTL-driven logits differ from the host model's"
    for r in records:
        assert r.mismatches == 0 and r.model_mismatches == 0, r
        ran = plan_gemm(r.rows_run, r.k, r.n, **design.kwargs())
        assert r.cycles == ran.formula_cycles == r.formula_cycles and r.plan_matches
        whole = plan_gemm(r.m, r.k, r.n, **design.kwargs())
        assert r.stats["cycles"] == whole.formula_cycles and r.stats["tiles"] == whole.tiles


def test_classifier_on_a_4x4_sa(data, dense_5opt):
    """fc of 4 images (4 x 3136 x 10) on Icarus: RTL == golden, logits from the RTL."""
    x, _ = data
    design = L.Design("sa-5opt", "sa", C5, None, 4, 4)
    logits, records = L.rtl_forward(dense_5opt, x, design, simulator="icarus", layers=("fc",))
    _check(dense_5opt, x, design, logits, records, ("fc",))
    (r,) = records
    assert (r.m, r.k, r.n, r.rows_run) == (IMAGES, 3136, 10, IMAGES)
    assert r.stats["tile_grid"] == [1, 3]                 # N = 10 on 4 columns: 3 tiles
    assert r.per_image["m"] == 1


def test_conv_rows_on_a_2x2_tc(data, dense_5opt):
    """The first 4 rows of conv2 (4 x 144 x 32) on a 2x2 TC (Icarus); the rest golden."""
    x, _ = data
    design = L.Design("tc-5opt", "tc", C5, None, 2, 2)
    logits, records = L.rtl_forward(dense_5opt, x, design, simulator="icarus",
                                    layers=("conv2",), max_rows=4)
    _check(dense_5opt, x, design, logits, records, ("conv2",))
    (r,) = records
    assert (r.m, r.k, r.n, r.rows_run) == (IMAGES * 196, 144, 32, 4)
    assert r.stats["tile_grid"] == [IMAGES * 98, 16]


def _golden_run(a, w, *, simulator, arch, config, baseline, rows, cols):
    """Stands in for run_gemm: the golden product and the plan's cycles."""
    design = L.Design("fake", arch, config, baseline, rows, cols)
    plan = plan_gemm(*a.shape, w.shape[1], **design.kwargs())
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    cyc = plan.formula_cycles
    stats = GemmStats(**fields, simulator=simulator, cycles=cyc, tile_cycles=(),
                      utilization=plan.macs / (plan.pes * cyc),
                      peak_fraction=plan.macs / (plan.peak_macs_per_cycle * cyc),
                      seconds=0.0, build="fake")
    return GemmRun(design.reference(a, w), cyc, stats)


@pytest.mark.parametrize("pruned, design", [
    (False, L.Design("sa-3opt", "sa", Config.preset(3), None, 16, 16)),
    (False, L.Design("sa-8b8b", "sa", None, "8b8b", 16, 16)),
    (True, L.Design("stc-5opt", "stc", C5, None, 8, 8)),
], ids=["sa-3opt", "sa-8b8b", "stc-5opt"])
def test_every_layer_plumbing(data, monkeypatch, pruned, design):
    """All layers, conv layouts included, with run_gemm replaced by the golden model."""
    x, calib = data
    monkeypatch.setattr(L, "run_gemm", _golden_run)
    q = quantize_model(load(pruned=pruned), design.config, calib, stc=pruned)
    logits, records = L.rtl_forward(q, x, design)
    _check(q, x, design, logits, records, ("conv2", "conv3", "fc"))
    assert [(r.m, r.k, r.n) for r in records] == [
        (IMAGES * 196, 144, 32), (IMAGES * 49, 288, 64), (IMAGES, 3136, 10)]


def test_a_wrong_rtl_result_changes_the_logits(data, dense_5opt, monkeypatch):
    """The RTL's numbers are used: one corrupted accumulator shows in the record and logits."""
    x, _ = data

    def off_by_one(a, w, **kw):
        run = _golden_run(a, w, **kw)
        c = run.c.copy()
        c[0, 0] += 1000
        return GemmRun(c, run.cycles, run.stats)

    monkeypatch.setattr(L, "run_gemm", off_by_one)
    design = L.Design("sa-5opt", "sa", C5, None, 16, 16)
    logits, records = L.rtl_forward(dense_5opt, x, design, layers=("fc",))
    assert records[0].mismatches == 1
    with torch.no_grad():
        assert not torch.equal(logits, dense_5opt(x))


def test_report_tables():
    """Speed-ups pair each design with its 8b-8b array; 1-image plans cover the edges."""
    designs = L.default_designs()
    runs = []
    for d in designs:
        layers = []
        for name, (m, k, n) in {"conv2": (196, 144, 32), "fc": (1, 3136, 10)}.items():
            plan = d.plan(m, k, n)
            layers.append({"layer": name, "m": m, "k": k, "n": n, "rows_run": m,
                           "zero_share": 0.5, "mismatches": 0, "model_mismatches": 0,
                           "cycles": plan.formula_cycles, "formula_cycles": plan.formula_cycles,
                           "plan_matches": True, "stats": L._plan_fields(plan),
                           "per_image": L._plan_fields(plan), "bench_seconds": 0.0,
                           "build": "x"})
        runs.append({"design": d.name, "label": d.label, "model": "dense", "layers": layers,
                     "pred_agree": 1, "images": 1, "logits_identical": True,
                     "golden_correct": 1, "rtl_correct": 1, "builds": [], "seconds": 0,
                     "sim_seconds": 0})
    rows = {(r["design"], r["layer"]): r for r in L._rows(runs, designs)}
    sa5, sa8 = rows["sa-5opt", "conv2"], rows["sa-8b8b", "conv2"]
    assert sa8["speedup_vs_8b8b"] == 1
    assert sa5["speedup_vs_8b8b"] == pytest.approx(sa8["cycles"] / sa5["cycles"], abs=1e-4)
    assert 1.9 < sa5["speedup_vs_8b8b"] < 2
    assert rows["stc-5opt", "fc"]["speedup_vs_8b8b"] == pytest.approx(
        rows["stc-8b8b", "fc"]["cycles"] / rows["stc-5opt", "fc"]["cycles"], abs=1e-4)
    assert rows["sa-5opt", "fc"]["tile_fill"] == pytest.approx(10 / 256, abs=1e-4)
    totals = L._totals(runs, designs)
    assert [t["design"] for t in totals] == [d.name for d in designs]
    assert all(np.isfinite(t["peak_fraction"]) for t in totals)


def test_scaling_shows_the_short_tile_gap():
    """conv2 (K = 144) on a 128x128 SA: 72 SPARQ beats < 128 rows, so tiles idle."""
    rows = {(r["arch"], r["size"]): r for r in L.scaling({"conv2": (6272, 144, 32)})}
    big, small = rows["sa", 128], rows["sa", 16]
    assert (big["sparq_beats_per_tile"], big["sparq_gap"], big["b8_gap"]) == (72, 56, 0)
    assert big["speedup_vs_8b8b"] < 1.2 < 1.99 < small["speedup_vs_8b8b"] < 2
    assert rows["tc", 32]["speedup_vs_8b8b"] > 1.99


@pytest.mark.slow
def test_full_report(tmp_path):
    """The whole report (~5-10 min with Verilator): every check passes."""
    assert L.main(["--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "layers.md").read_text().count("all checks pass") == 1
