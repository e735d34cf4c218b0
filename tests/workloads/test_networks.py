"""The networks report (workloads.networks): layer shapes, the split of cycles, speedups, energy,
sampled tiles through the RTL, and the command line.

Worked examples are computed here by hand from the array's documented rules (docs/sa.md,
docs/tc.md), not from the code under test; the networks' MACs are counted here with forward
hooks on the torchvision model, independently of the quantizer's shape function.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from golden.sparq import matmul
from workloads.networks import arrays, catalog, energy, evaluate, rtl
from workloads.networks.__main__ import main
from workloads.quant.gemm import LayerGemm
from workloads.quant.shapes import GemmShape


def _shape(m, k, n, groups=1, policy="SPARQ", name="l"):
    return GemmShape(name=name, kind="conv", m=m, k=k, n=n, groups=groups, policy=policy,
                     reason="", input_shape=(), output_shape=())


def test_sa_layer_worked_example():
    """M=5, K=7, N=6 on a 4x4 SPARQ SA: 2x2 tiles of ceil(7/2) = 4 beats, no gap (4 >= 4
    rows); latency 1 + 4 + 4 = 9; cycles (T-1) * 4 + 4 - 1 + 9 + 4 = 28."""
    lc = arrays.map_layer(_shape(5, 7, 6), arrays.ArrayDesign("sa", "5opt", 4, 4))
    assert (lc.cycles, lc.tiles, lc.drain_bound_tiles, lc.beats_per_tile) == (28, 4, 0, 4)
    p = lc.parts
    assert p["ideal"] == pytest.approx(5 * 7 * 6 / 32)        # 16 PEs x 2 MACs a cycle
    assert p["tile_fill"] == pytest.approx((4 * 16 - 30) * 8 / 32)
    assert p["k_pad"] == pytest.approx(30 * (8 - 7) / 32)
    assert (p["drain"], p["fill"], p["zero_partners"]) == (0, 9 + 4 - 1, 0)
    assert sum(p.values()) == pytest.approx(lc.cycles)


def test_drain_bound_layer_worked_example():
    """K=3 on an 8-row 8b-8b SA: 3 beats, so 5 idle cycles before each tile after the first."""
    lc = arrays.map_layer(_shape(16, 3, 8), arrays.ArrayDesign("sa", "8b8b", 8, 8))
    assert lc.tiles == 2 and lc.drain_bound_tiles == 1
    assert lc.parts["drain"] == 5
    assert lc.cycles == 3 - 1 + 5 + 3 + (8 + 8) + 8        # second tile, gap, latency, rows


def test_grouped_and_signed_layers():
    """Depthwise: one GEMM per group of N/groups = 1 column; a signed layer pairs with zeros."""
    sa = arrays.ArrayDesign("sa", "5opt", 4, 4)
    dw = arrays.map_layer(_shape(8, 9, 6, groups=6), sa)
    assert dw.tiles == 6 * 2 * 1
    signed = arrays.map_layer(_shape(8, 9, 4, policy="A8W8 signed"), sa)
    dense = arrays.map_layer(_shape(8, 9, 4), sa)
    assert signed.beats_per_tile == 9 and dense.beats_per_tile == 5
    assert signed.parts["zero_partners"] == pytest.approx(8 * 4 * 9 / 32)
    assert sum(signed.parts.values()) == pytest.approx(signed.cycles)
    base = arrays.map_layer(_shape(8, 9, 4, policy="A8W8 signed"), sa.reference())
    assert base.beats_per_tile == 9            # the 8b-8b array is not slowed
    fp32 = arrays.map_layer(_shape(8, 9, 4, policy="FP32"), sa)
    assert not fp32.mapped and fp32.cycles == 0


@pytest.mark.parametrize("design", arrays.default_designs((4,), (2,)))
def test_parts_add_up_on_every_design(design):
    for shape in (_shape(9, 13, 7), _shape(3, 40, 10, groups=2), _shape(1, 5, 3)):
        lc = arrays.map_layer(shape, design)
        assert sum(lc.parts.values()) == pytest.approx(lc.cycles)
        assert all(v >= 0 for v in lc.parts.values())


def _hook_macs(model, x):
    """MACs of every Conv2d/Linear, counted from the layers' own outputs."""
    import torch
    total = []

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            kh, kw = mod.kernel_size
            total.append(out.numel() * mod.in_channels // mod.groups * kh * kw)
        else:
            total.append(out.numel() * mod.in_features)
    mods = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    handles = [m.register_forward_hook(hook) for m in mods]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return sum(total), len(total)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_network_layers_count_the_model_macs(name):
    import torch
    shapes = catalog.layers(name, 2)
    macs, count = _hook_macs(catalog.model(name), torch.zeros(2, 3, 224, 224))
    assert sum(s.macs for s in shapes) == macs and len(shapes) == count
    assert shapes[0].policy == "FP32"
    if name == "mobilenet_v2":
        assert any(s.groups > 1 and s.n == s.groups for s in shapes)      # depthwise
        assert any(s.policy == "A8W8 signed" for s in shapes)             # after the adds


def test_records_pair_each_design_with_its_8b8b_array(monkeypatch):
    fake = (_shape(1, 1, 1, policy="FP32", name="first"), _shape(64, 300, 64, name="a"),
            _shape(64, 20, 64, name="b"))
    monkeypatch.setattr(evaluate, "layers", lambda name, batch: fake)
    designs = [arrays.ArrayDesign("sa", d, 8, 8) for d in ("8b8b", "5opt")]
    recs = evaluate.evaluate(["resnet18"], [1], designs)
    base, sparq = recs
    want = [arrays.map_layer(s, d).cycles for d in designs for s in fake[1:]]
    assert base["cycles"] == want[0] + want[1] and sparq["cycles"] == want[2] + want[3]
    assert sparq["speedup_vs_8b8b"] == pytest.approx(base["cycles"] / sparq["cycles"])
    assert base["speedup_vs_8b8b"] == 1.0
    assert sparq["macs"] == 64 * 64 * 320 and sparq["host_macs"] == 1
    assert [lay["name"] for lay in sparq["layers"]] == ["first", "a", "b"]
    assert sparq["layers"][2]["speedup_vs_8b8b"] == pytest.approx(want[1] / want[3])


def test_energy_model_worked_example():
    recs = [{"kind": "sa_array", "variant": "5opt", "stream": s, "pj_per_mac": pm,
             "pj_per_cycle": pc, "parts_pj_per_cycle": {"drain deskew": dd}}
            for s, pm, pc, dd in (("real", 2.0, 1000.0, 40.0), ("zero", 0.5, 300.0, 30.0))]
    power = energy.PowerFigures(recs, "test")
    rec = {"arch": "sa", "rows": 128, "cols": 128, "design": "5opt", "options": {},
           "macs": 32768 * 100, "ideal_cycles": 100.0, "cycles": 150}
    e = energy.inference_energy(rec, power)
    assert e["uj"] * 1e6 == pytest.approx(32768 * 100 * 2.0 + 50 * 300.0)
    lanes = energy.inference_energy(dict(rec, options={"drain_lanes": 4}), power)
    assert lanes["uj"] * 1e6 == pytest.approx(e["uj"] * 1e6 + 3 * (100 * 40.0 + 50 * 30.0))
    assert energy.inference_energy(dict(rec, rows=64), power) is None


def _gemm(rng, m, k, n, groups=1):
    a = rng.integers(0, 256, (m, groups * k))
    a[rng.random(a.shape) < 0.5] = 0
    return LayerGemm(name="x", kind="conv", A=a, W=rng.integers(-128, 128, (k, n)),
                     scale_a=1.0, scale_w=np.ones(n), bias=None, cfg=arrays.SPARQ, stc=False,
                     act_bits=8, out_shape=(1, n, 1, m), output=np.zeros((m, n), np.float32),
                     groups=groups)


def test_sampled_tiles_are_the_layer_s_own_tiles():
    rng = np.random.default_rng(0)
    g = _gemm(rng, 10, 7, 12, groups=2)            # Ng = 6: two column blocks of 4 per group
    a, w, picks = rtl.sample_tiles(g, 4, 4, 3, rng)
    assert picks[0] == (0, 0, 0) and picks[1] == (1, 2, 1) and len(picks) == 3
    full = g.accumulate()
    got = np.concatenate([matmul(a[:, t * 7:(t + 1) * 7], w[:, t * 4:(t + 1) * 4], arrays.SPARQ)
                          for t in range(3)], axis=1)
    for t, (gr, i, j) in enumerate(picks):
        rows = full[i * 4:(i + 1) * 4, gr * 6 + j * 4:gr * 6 + min(j * 4 + 4, 6)]
        assert (got[:rows.shape[0], t * 4:t * 4 + rows.shape[1]] == rows).all()


@pytest.mark.parametrize("design", [arrays.ArrayDesign("sa", "5opt", 4, 4),
                                    arrays.ArrayDesign("tc", "5opt", 2, 2)])
def test_check_layer_through_the_rtl(design):
    rng = np.random.default_rng(1)
    c = rtl.check_layer("toy", _gemm(rng, 9, 11, 10, groups=2), design, 3, rng)
    assert c.tiles == 3 and c.mismatches == 0 and c.cycles == c.plan_cycles and c.ok


def test_command_line_refuses_bad_input(capsys, tmp_path):
    for argv, message in ((["--networks", "alexnet"], "--networks: alexnet not known"),
                          (["--batches", "0"], "--batches must be integers >= 1"),
                          (["--drain-lanes", "0"], "--drain-lanes must be 1..128"),
                          (["--out-dir", str(tmp_path / "no")], "is not a folder")):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2 and message in capsys.readouterr().err


def test_command_line_writes_the_report(tmp_path):
    code = main(["--networks", "resnet18", "--batches", "1", "--sa", "16", "--tc", "4",
                 "--drain-lanes", "1", "--rtl", "none", "--out-dir", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "networks.json").read_text())
    rec = next(r for r in data["records"] if r["design"] == "5opt" and r["arch"] == "sa")
    for key in ("network", "input", "batch", "arch", "design", "rows", "cols", "macs",
                "cycles", "speedup_vs_8b8b", "layers"):
        assert key in rec
    assert {"name", "M", "K", "N", "groups", "cycles"} <= set(rec["layers"][1])
    assert rec["cycles"] == sum(lay["cycles"] for lay in rec["layers"])
    assert math.isclose(rec["speedup_vs_8b8b"],
                        next(r for r in data["records"] if r["design"] == "8b8b"
                             and r["arch"] == "sa")["cycles"] / rec["cycles"])
    assert "Where the speedup goes" in (tmp_path / "networks.md").read_text()
    assert (tmp_path / "networks.png").stat().st_size > 1000
