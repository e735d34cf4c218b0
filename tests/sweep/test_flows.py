"""The composition of a point from its units: counts against the emitted arrays, energy against
the power report's own 128x128 composition, and the Pareto front on a worked example."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sweep import flows
from sweep.report import pareto

ROOT = Path(__file__).resolve().parents[2]
_MODULE = re.compile(r"^module\s+(\S+?)\s*\(", re.M)
_INSTANCE = re.compile(r"^\s+(\S+)\s+\S+\s*\(\s*$", re.M)


def _instance_counts(folder: Path, top: str) -> dict[str, int]:
    """Instances of every module under ``top``, through the whole emitted hierarchy."""
    bodies = {}
    for f in folder.glob("*.v"):
        text = f.read_text()
        starts = list(_MODULE.finditer(text))
        for m, nxt in zip(starts, starts[1:] + [None], strict=True):
            bodies[m.group(1)] = text[m.end():nxt.start() if nxt else len(text)]
    counts: dict[str, int] = {}

    def walk(name, times):
        for sub in _INSTANCE.findall(bodies[name]):
            if sub in bodies:
                counts[sub] = counts.get(sub, 0) + times
                walk(sub, times)

    walk(top, 1)
    return counts


@pytest.mark.parametrize("arch, variant, opts", [("sa", "2opt", ["--opts", "2"]),
                                                 ("sa", "8b8b", ["--baseline", "8b8b"]),
                                                 ("tc", "5opt", ["--opts", "5"]),
                                                 ("stc", "5opt", ["--opts", "5"])])
def test_unit_counts_match_the_emitted_array(tmp_path, arch, variant, opts):
    rows, cols = 3, 5
    subprocess.run([sys.executable, "-m", "hdl.generate", "--arch", arch, *opts, "--rows",
                    str(rows), "--cols", str(cols), "-o", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True, env={"AMARANTH_USE_YOSYS": "builtin",
                                             **__import__("os").environ})
    top = next(p.stem for p in tmp_path.glob("*_array_*.json"))
    counts = _instance_counts(tmp_path, top)
    for unit, n in flows.units_for_area(arch, variant, rows, cols, 32):
        design = unit.design()
        if unit.kind == "stc_dp":
            # The STC cell is emitted as its selection (with the TRUs) and a TC DP unit.
            cells = {k: v for k, v in counts.items()
                     if re.fullmatch(r"sparq_(stc_select|tc_dp)_\w+", k)}
            assert sorted(cells.values()) == [n, n], counts
        else:
            assert counts.get(design.top) == n, (design.top, counts)


def test_energy_composition_equals_the_power_report_at_128():
    """compose_energy at 128x128 against synth.power_report.array on the same unit powers."""
    from synth.power import DesignPower, Job, StreamPower
    from synth.power_report import array
    variant, period = "3opt", 10.0
    units = flows.units_for_power("sa", variant, 128, 128, 32)
    power, jobs, results = {}, [], {}
    for i, (unit, _) in enumerate(units):
        mw = {s: 0.1 + 0.37 * i + 0.05 * j for j, s in enumerate(flows.STREAMS)}
        power[unit] = {"streams": {s: {"power_mw": mw[s]} for s in flows.STREAMS}}
        design = unit.design()
        jobs.append(Job(design))
        results[design.key] = DesignPower(design.key, 1, 1, [
            StreamPower(s, 100, mw[s], 0, 0, 0, 0, 0, 0) for s in flows.STREAMS])
    macs = 128 * 128 * 2
    ours = flows.compose_energy("sa", variant, 128, 128, 32, period, power, macs)
    theirs = {r["stream"]: r for r in array(jobs, results, period, None)}
    for s in flows.STREAMS:
        assert ours[s]["pj_per_mac"] == pytest.approx(theirs[s]["pj_per_mac"], rel=1e-12)
        assert ours[s]["pj_per_cycle"] == pytest.approx(theirs[s]["pj_per_cycle"], rel=1e-12)


def test_edge_terms_scale_with_rows_and_cols():
    units = flows.units_for_power("sa", "8b8b", 6, 3, 16)
    power = {u: {"streams": {s: {"power_mw": 1.0 if u.kind == "sa_edge" and u.lane == lane
                                 else 0.0} for s in flows.STREAMS}}
             for lane in ("row",) for u, _ in units}
    e = flows.compose_energy("sa", "8b8b", 6, 3, 16, 10.0, power, 18)
    # Row skew: row i waits i cycles, 0 + 1 + ... + 5 = 15 lanes of 10 pJ each.
    assert e["real"]["pj_per_cycle"] == pytest.approx(15 * 10.0)


def test_pareto_worked_example():
    pts = [(1, 5), (2, 2), (3, 1), (2, 4), (3, 3), (1, 5)]
    assert pareto(pts, ("min", "min")) == [True, True, True, False, False, True]
    assert pareto([(1, 1), (2, 2)], ("min", "max")) == [True, True]
    assert pareto([(1, 1), (2, 2)], ("max", "max")) == [False, True]


def test_trim_points_share_the_pe_but_not_the_tru():
    a = {u.kind: u for u, _ in flows.units_for_area("sa", "3opt-trim", 4, 4, 32)}
    b = {u.kind: u for u, _ in flows.units_for_area("sa", "3opt", 4, 4, 32)}
    assert a["sa_pe"] == b["sa_pe"]
    assert a["tru"] != b["tru"] and a["tru"].design().top != b["tru"].design().top


# ------------------------------------------------------------------ networks and accuracy

def test_networks_piece_is_the_networks_report_record(tmp_path):
    """The sweep's piece computes what make networks computes, for the point's array."""
    from workloads.networks.arrays import ArrayDesign
    from workloads.networks.evaluate import network_record
    params = {"arch": "sa", "variant": "3opt-trim", "rows": 64, "cols": 64,
              "network": "resnet18", "batch": 1}
    got = flows.run_networks(params, [], tmp_path)
    from golden.sparq import Config
    cfg = Config.preset(3, rounding=False)
    mine = network_record("resnet18", 1, ArrayDesign("sa", "3opt-trim", 64, 64, cfg=cfg))
    base = network_record("resnet18", 1, ArrayDesign("sa", "8b8b", 64, 64))
    assert got["cycles"] == mine["cycles"] and got["cycles_8b8b"] == base["cycles"]
    assert got["speedup_vs_8b8b"] == pytest.approx(base["cycles"] / mine["cycles"])
    assert sum(lay["cycles"] for lay in got["layers"]) == got["cycles"]


def test_energy_per_inference_worked_example():
    rec = {"cycles": 150, "ideal_cycles": 100.0, "macs": 3200, "batch": 2,
           "speedup_vs_8b8b": 1.9}
    energy = {"real": {"pj_per_mac": 2.0}, "zero": {"pj_per_cycle": 300.0}}
    fig = flows.compose_networks({"n": rec}, energy)["n"]
    assert fig["energy_per_inference_uj"] == pytest.approx((3200 * 2.0 + 50 * 300.0) / 2 / 1e6)
    assert "energy_per_inference_uj" not in flows.compose_networks({"n": rec}, None)["n"]


@pytest.mark.parametrize("arch, variant, want", [
    ("sa", "8b8b", (None, 8, False)), ("sa", "2x4b8b", (None, 4, False)),
    ("sa", "sysmt", ("2opt-trim", 8, False)), ("tc", "5opt", ("5opt", 8, False)),
    ("stc", "3opt-trim", ("3opt-trim", 8, True)), ("stc", "8b8b", (None, 8, True)),
])
def test_accuracy_setting_of_each_variant(arch, variant, want):
    s = flows.accuracy_setting(arch, variant)
    assert (s["cfg"] and s["cfg"].name, s["act_bits"], s["stc"]) == want


def test_a_networks_sweep_end_to_end(sweep_cli, tmp_path):
    """Area and networks on two points: the report pairs each with its 8b-8b array."""
    import json
    r = sweep_cli("--flows", "networks", "--networks", "resnet18,vgg16", "--batch", "2",
                  "--variants", "8b8b,5opt", "--sizes", "128", "--workers", "0")
    assert r.returncode == 0, r.stderr
    points = json.loads((tmp_path / "out" / "sweep.json").read_text())["points"]
    sparq = next(p for p in points if p["variant"] == "5opt")
    base = next(p for p in points if p["variant"] == "8b8b")
    assert base["speedup"] == 1.0 and 1.0 < sparq["speedup"] <= 2.0
    assert sparq["speedup"] == pytest.approx(
        (sparq["speedup_resnet18"] * sparq["speedup_vgg16"]) ** 0.5)
    assert "resnet18 speedup" in (tmp_path / "out" / "sweep.md").read_text()
