"""The power flow through the sweep on one small SA point, against the `make power` flow run
directly on the same unit and stream length."""

import os
from pathlib import Path

import pytest

from sweep import cluster, flows
from sweep.cache import Cache
from sweep.engine import Engine
from sweep.spec import load

CYCLES = 120

# Two workers, the network streams (PyTorch) and gate-level runs: about a minute.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def power_point(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep_power")
    sweep = load(None, {"variants": ["8b8b"], "sizes": ["2x3"], "acc_widths": [16],
                        "flows": ["area", "power"], "cycles": CYCLES, "images": 2})
    with cluster.client(workers=2, dashboard_address="127.0.0.1:0") as c:
        versions = cluster.check_workers(c, {"emit", "synth", "streams", "power"})
        engine = Engine(sweep, c, Cache(tmp / "cache"), tmp / "work", versions)
        (result,) = engine.run()
    assert result.state == "done", result.failures
    return engine, result, tmp


def test_energy_shares_and_streams(power_point):
    _, r, _ = power_point
    e = r.energy
    for s in flows.STREAMS:
        assert e[s]["pj_per_mac"] > 0
        assert sum(e[s]["shares"].values()) == pytest.approx(1.0)
        assert set(e[s]["shares"]) == {"pes", "row skew", "column skew", "drain deskew"}
    # Zero activations switch less than the network's operands.
    assert e["zero"]["pj_per_mac"] < e["real"]["pj_per_mac"]


def test_the_pe_equals_the_power_flow_run_directly(power_point):
    """The sweep's PE figure against synth.power.measure on the power flow's own job."""
    from synth import gatesim
    from synth.power import measure, power_view
    engine, _, tmp = power_point
    node = next(n for p, n in engine.nodes.items()
                if p.kind == "power" and p.unit.kind == "sa_pe")
    streams = next(n for p, n in engine.nodes.items() if p.kind == "streams").result
    synth = next(n for p, n in engine.nodes.items()
                 if p.kind == "synth" and p.unit.kind == "sa_pe").result
    liberty = Path(flows.default_liberty())
    view = power_view(liberty.read_text())
    work = tmp / "direct"
    work.mkdir()
    (work / "view.lib").write_text(view.text)
    (work / "netlist.v").write_text(synth["netlist"])
    sets = flows._stream_sets(streams)
    build_jobs = flows._power_api("build_jobs")
    design = node.piece.unit.design()
    job = next(j for j in build_jobs(sets, [design], CYCLES) if j.design.key == design.key)
    stimulus, windows = job.inputs()
    direct = measure(design.key, work / "netlist.v", gatesim.cell_models(liberty, work), view,
                     work / "view.lib", stimulus, windows, work / "run")
    for s in direct.streams:
        assert node.result["streams"][s.stream]["power_mw"] == pytest.approx(s.power_mw,
                                                                             rel=1e-9)
    assert os.path.isdir(tmp / "cache" / "power")
