"""Real layers of the trained networks through the emitted RTL (workloads.layers).

The default suite runs the classifier layer of a few test images on a 4x4 SPARQ SA, a few
rows of a conv layer on a 2x2 SPARQ TC and a signed layer (offset codes on the 8b-8b SA) on
Icarus, checks the RTL element by element against golden.sparq.matmul, the cycles against
plan_gemm and the network's logits against the host model, and checks the plumbing of
every layer of the three networks (conv layouts, grouped and signed layers, STC) with the
simulator replaced by the golden model.  The full report run is behind ``-m slow``.
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
from workloads import quantize_model
from workloads.data import calibration_batches, load_fashion_mnist, to_tensor
from workloads.layers import report as LR
from workloads.layers import runs as L
from workloads.models.train import load
from workloads.quant.gemm import layer_gemms

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
        array = design.baseline_8b8b() if r.policy == "A8W8 signed" else design
        assert r.array == (L.SIGNED_ON if r.policy == "A8W8 signed" else design.name)
        ran = plan_gemm(r.rows_run, r.k, r.n, groups=r.groups, **array.kwargs())
        assert r.cycles == ran.formula_cycles == r.formula_cycles and r.plan_matches
        whole = plan_gemm(r.m, r.k, r.n, groups=r.groups, **array.kwargs())
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


def _golden_run(a, w, *, simulator, arch, config, baseline, rows, cols, groups=1):
    """Stands in for run_gemm: the golden product (group by group) and the plan's cycles."""
    assert a.min() >= 0, "signed codes must not reach an array"
    design = L.Design("fake", arch, config, baseline, rows, cols)
    plan = design.plan(a.shape[0], w.shape[0], w.shape[1], groups)
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    cyc = plan.formula_cycles
    measured = {"simulator": simulator, "cycles": cyc, "tile_cycles": (),
                "utilization": plan.macs / (plan.pes * cyc),
                "peak_fraction": plan.macs / (plan.peak_macs_per_cycle * cyc),
                "build": "fake", "backend": "fake", "threads": 1}
    for f in dataclasses.fields(GemmStats):               # the runner's other timings
        if f.name not in fields and f.name not in measured:
            measured[f.name] = 0.0
    stats = GemmStats(**fields, **{k: v for k, v in measured.items()
                                   if k in {f.name for f in dataclasses.fields(GemmStats)}})
    return GemmRun(design.reference(a, w, groups), cyc, stats)


SHAPES = {  # (M, K per group, N, groups) of every quantized layer for IMAGES images
    "cnn": [(IMAGES * 196, 144, 32, 1), (IMAGES * 49, 288, 64, 1), (IMAGES, 3136, 10, 1)],
    "resnet": [(IMAGES * 196, 144, 24, 1), (IMAGES * 196, 216, 24, 1),
               (IMAGES * 196, 16, 24, 1), (IMAGES * 196, 216, 24, 1),
               (IMAGES * 196, 216, 24, 1), (IMAGES * 49, 216, 48, 1),
               (IMAGES * 49, 432, 48, 1), (IMAGES * 49, 24, 48, 1), (IMAGES, 48, 10, 1)],
}


@pytest.mark.parametrize("network", ["cnn", "resnet", "mobilenet"])
@pytest.mark.parametrize("pruned, design", [
    (False, L.Design("sa-3opt", "sa", Config.preset(3), None, 16, 16)),
    (False, L.Design("tc-8b8b", "tc", None, "8b8b", 8, 8)),
    (True, L.Design("stc-5opt", "stc", C5, None, 8, 8)),
], ids=["sa-3opt", "tc-8b8b", "stc-5opt"])
def test_every_layer_plumbing(data, monkeypatch, network, pruned, design):
    """All layers, conv layouts, grouped and signed layers included, with run_gemm replaced
    by the golden model (which refuses signed codes, as the arrays do)."""
    x, calib = data
    monkeypatch.setattr(L, "run_gemm", _golden_run)
    q = quantize_model(load(model=network, pruned=pruned), design.config, calib, stc=pruned)
    logits, records = L.rtl_forward(q, x, design)
    _check(q, x, design, logits, records, q.sparq_layers)
    shapes = [(r.m, r.k, r.n, r.groups) for r in records]
    if network in SHAPES:
        assert shapes == SHAPES[network]
    else:
        assert {r.policy for r in records} == {"A8W8 signed", design.config and "SPARQ"
                                               or "A8W8"}
        assert sum(r.groups > 1 for r in records) == 4          # the depthwise layers
        assert all(g == 1 or k == 9 for _, k, _, g in shapes)


@pytest.fixture(scope="module")
def mobilenet_5opt(data):
    return quantize_model(load(model="mobilenet"), C5, data[1])


def test_signed_layer_on_the_8b8b_array(data, mobilenet_5opt):
    """A8W8-signed rows through the 4x4 8b-8b SA with offset codes (Icarus): exact."""
    x, _ = data
    q = mobilenet_5opt
    (g,) = layer_gemms(q, x, layers=("head.0",))
    assert g.policy == "A8W8 signed" and g.A.min() < 0
    design = L.Design("sa-5opt", "sa", C5, None, 4, 4)
    logits, records = L.rtl_forward(q, x, design, simulator="icarus", layers=("head.0",),
                                    max_rows=8)
    _check(q, x, design, logits, records, ("head.0",))
    (r,) = records
    assert r.array == L.SIGNED_ON and r.rows_run == 8


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
            layers.append({"layer": name, "m": m, "k": k, "n": n, "groups": 1,
                           "policy": "SPARQ" if d.config else "A8W8", "array": d.name,
                           "rows_run": m, "zero_share": 0.5, "mismatches": 0,
                           "model_mismatches": 0, "cycles": plan.formula_cycles,
                           "formula_cycles": plan.formula_cycles, "plan_matches": True,
                           "stats": L._plan_fields(plan), "per_image": L._plan_fields(plan),
                           "bench_seconds": 0.0, "build": "x"})
        runs.append({"network": "cnn", "design": d.name, "label": d.label, "model": "dense",
                     "layers": layers, "pred_agree": 1, "images": 1, "logits_identical": True,
                     "golden_correct": 1, "rtl_correct": 1, "builds": [], "seconds": 0,
                     "sim_seconds": 0})
    rows = {(r["design"], r["layer"]): r for r in LR._rows(runs, designs)}
    sa5, sa8 = rows["sa-5opt", "conv2"], rows["sa-8b8b", "conv2"]
    assert sa8["speedup_vs_8b8b"] == 1
    assert sa5["speedup_vs_8b8b"] == pytest.approx(sa8["cycles"] / sa5["cycles"], abs=1e-4)
    assert 1.9 < sa5["speedup_vs_8b8b"] < 2
    assert rows["stc-5opt", "fc"]["speedup_vs_8b8b"] == pytest.approx(
        rows["stc-8b8b", "fc"]["cycles"] / rows["stc-5opt", "fc"]["cycles"], abs=1e-4)
    assert rows["sa-5opt", "fc"]["tile_fill"] == pytest.approx(10 / 256, abs=1e-4)
    totals = LR._totals(runs, designs)
    assert [t["design"] for t in totals] == [d.name for d in designs]
    assert all(np.isfinite(t["peak_fraction"]) for t in totals)


def test_scaling_shows_the_short_tile_gap():
    """conv2 (K = 144) on a 128x128 SA: 72 SPARQ beats < 128 rows, so tiles idle."""
    rows = {(r["arch"], r["size"]): r for r in LR.scaling({"conv2": (6272, 144, 32)})}
    big, small = rows["sa", 128], rows["sa", 16]
    assert (big["sparq_beats_per_tile"], big["sparq_gap"], big["b8_gap"]) == (72, 56, 0)
    assert big["speedup_vs_8b8b"] < 1.2 < 1.99 < small["speedup_vs_8b8b"] < 2
    assert rows["tc", 32]["speedup_vs_8b8b"] > 1.99


def test_depthwise_on_the_sa_idles():
    """A depthwise layer (K = 9, N = 1 per group) on a 16x16 SA: 5 beats a tile < 16 rows."""
    plan = plan_gemm(196, 9, 96, groups=96, arch="sa", config=C5, rows=16, cols=16)
    assert (plan.beats_per_tile, plan.gap, plan.tiles) == (5, 11, 96 * 13)


@pytest.mark.slow
def test_full_report(tmp_path):
    """The whole report (every network and design with Verilator): every check passes."""
    assert LR.main(["--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "layers.md").read_text().count("all checks pass") == 1
