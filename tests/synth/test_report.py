"""The report's derived tables on hand-made results (numbers worked out by hand)."""

import csv
import io
import json
import pickle

import pytest

from synth.designs import CATEGORIES, Design
from synth.flow import Failure, Result
from synth.report import ARRAY_SIZE, DISCUSSION, _targets_summary, analyze, write_all

META = {"library": "toy", "liberty": "/toy.lib", "nand2": "NAND2X1", "nand2_area": 24.0,
        "area_unit": "um^2", "time_unit": "ns", "yosys": "Yosys 0.70", "period": 10.0,
        "acc_width": 32, "booth": False, "synth_cmd": "synth"}


def _result(kind, variant, area, delay, macs=None):
    bd = dict.fromkeys(CATEGORIES, 0.0)
    bd.update({"multipliers": area / 2, "adder tree": area / 4, "registers": area / 4})
    return Result(key=f"{kind}_{variant}", kind=kind, variant=variant,
                  top=f"sparq_{kind}_{variant}", macs_per_cycle=macs, area=area,
                  area_nand2=area / 24, sequential_area=area / 4, cells=10, hier_area=area,
                  breakdown=bd, delay=delay, slack=10 - delay, startpoint="a (in)",
                  endpoint="b (ff)")


RESULTS = [
    _result("sa_pe", "8b8b", 1000.0, 5.0, 1),
    _result("sa_pe", "2x4b8b", 1040.0, 5.0, 2),
    _result("sa_pe", "5opt", 1500.0, 6.0, 2),
    _result("tc_dp", "8b8b", 4000.0, 8.0, 4),
    _result("tru", "5opt", 600.0, 2.0),
    Failure.of(Design("sa_pe", "sysmt"), "ImportError: x", missing=True),
]
ERROR = Failure.of(Design("tru", "2opt"), "yosys: toy.lib has no flip-flop cell (log x)")


def test_table3_relative_areas_and_targets():
    a = analyze(RESULTS)
    sa = a["table3"]["sa_pe"]
    assert sa["5opt"]["ours"] == pytest.approx(1.5) and sa["5opt"]["paper"] == 1.43
    assert sa["5opt"]["delay"] == pytest.approx(1.2)
    assert sa["sysmt"]["ours"] is None
    targets = {t["target"]: t for t in a["targets"]}
    area = targets["SA PE 5opt area <= paper"]
    assert area["met"] is False and area["excess"] == pytest.approx(1.5 / 1.43 - 1)
    assert targets["SA PE 2x4b-8b area <= 1.05 x 8b-8b"]["met"] is True
    assert targets["SA PE 5opt critical path <= 1.15 x 8b-8b"]["met"] is False
    assert targets["SA PE 3opt area <= paper"]["met"] is None     # not synthesized
    assert a["missing"] == {"sa_pe_sysmt": "ImportError: x"}
    assert a["errors"] == {} and a["complete"] is False


def test_tru_relative_to_the_tc_dp_unit():
    assert analyze(RESULTS)["tru"]["5opt"]["of_tc_dp"] == pytest.approx(600 / 4000)


def test_array_counts_pes_and_one_tru_per_row():
    arr = analyze(RESULTS)["array"]
    pes = ARRAY_SIZE * ARRAY_SIZE
    assert arr["8b8b"]["area"] == pes * 1000
    assert arr["5opt"]["area"] == pes * 1500 + ARRAY_SIZE * 600
    # Twice the MACs per cycle: area per MAC/cycle is half the area ratio.
    expected = (pes * 1500 + 128 * 600) / (2 * pes * 1000)
    assert arr["5opt"]["area_per_mac_rel"] == pytest.approx(expected)
    assert arr["2x4b8b"]["area_time_per_mac_rel"] == pytest.approx(1040 / 2000)


def test_writers(tmp_path):
    paths = write_all(RESULTS, META, tmp_path)
    assert [p.name for p in paths] == ["area.md", "area.csv", "area.json", "area_breakdown.png"]
    md = (tmp_path / "area.md").read_text()
    assert "| SA PE, ours | 1.00 | 1.04 | - | - | - | 1.50 |" in md
    assert "MISSED by 4.9%" in md                       # 1.50 vs 1.43
    assert "`sa_pe_sysmt` (missing): ImportError: x" in md
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO((tmp_path / "area.csv").read_text()))}
    assert float(rows["sa_pe_5opt"]["rel_area"]) == pytest.approx(1.5)
    assert float(rows["sa_pe_5opt"]["bd_adder_tree"]) == pytest.approx(375)
    assert rows["sa_pe_sysmt"]["missing"] == "ImportError: x"
    assert json.loads((tmp_path / "area.json").read_text())["meta"]["library"] == "toy"
    assert (tmp_path / "area_breakdown.png").read_bytes()[:4] == b"\x89PNG"


def test_json_design_records_keep_their_schema(tmp_path):
    write_all([*RESULTS, ERROR], META, tmp_path)
    designs = {d["key"]: d for d in json.loads((tmp_path / "area.json").read_text())["designs"]}
    ok = designs["sa_pe_5opt"]
    assert set(ok) == {"key", "kind", "variant", "top", "macs_per_cycle", "area", "area_nand2",
                       "sequential_area", "cells", "hier_area", "breakdown", "delay", "slack",
                       "startpoint", "endpoint"}
    assert (ok["area"], ok["macs_per_cycle"], ok["breakdown"]["adder tree"]) == (1500, 2, 375)
    assert designs["sa_pe_sysmt"]["missing"] == "ImportError: x"
    assert designs["tru_2opt"]["error"].startswith("yosys: toy.lib has no flip-flop")
    assert "area" not in designs["tru_2opt"]


def test_records_pickle_and_are_frozen():
    r, f = RESULTS[0], RESULTS[-1]
    assert pickle.loads(pickle.dumps(r)) == r and pickle.loads(pickle.dumps(f)) == f
    with pytest.raises(AttributeError):
        r.area = 0.0
    assert (r.ok, f.ok, f.status, ERROR.status) == (True, False, "missing", "error")


def test_only_failures_still_write_a_report_without_a_figure(tmp_path):
    # Before: matplotlib raised "Number of columns must be a positive integer, not 0".
    (tmp_path / "area_breakdown.png").write_bytes(b"stale")
    paths = write_all([ERROR], META, tmp_path)
    assert [p.name for p in paths] == ["area.md", "area.csv", "area.json"]
    assert not (tmp_path / "area_breakdown.png").exists()      # no figure of other results
    md = (tmp_path / "area.md").read_text()
    assert "**Incomplete: 1 of 1 designs were not synthesized**" in md
    assert "- `tru_2opt` (error): yosys: toy.lib has no flip-flop cell (log x)" in md
    assert "area_breakdown.png" not in md
    assert json.loads((tmp_path / "area.json").read_text())["analysis"]["errors"] == {
        "tru_2opt": ERROR.reason}


def test_partial_results_plot_what_succeeded(tmp_path):
    paths = write_all([_result("tru", "5opt", 600.0, 2.0), ERROR], META, tmp_path)
    assert paths[-1].name == "area_breakdown.png"
    md = (tmp_path / "area.md").read_text()
    assert "![area breakdown](area_breakdown.png)" in md and "`tru_2opt`" in md


def test_blocks_alone_have_no_figure(tmp_path):
    block = _result("block", "mult2x8", 100.0, 1.0)
    assert [p.name for p in write_all([block], META, tmp_path)][-1] == "area.json"
    assert "Incomplete" not in (tmp_path / "area.md").read_text()


def test_notes_state_measurements_and_point_to_the_docs(tmp_path):
    write_all(RESULTS, META, tmp_path)
    md = (tmp_path / "area.md").read_text()
    notes = md.split("## Notes on missed targets")[1]
    assert "SA PE 5opt area <= paper: 1.50 vs 1.43 (+4.9%)" in notes
    assert "critical path a -> b, 6.00 ns against 5.00" in notes
    assert f"]({DISCUSSION})" in notes
    # Design advice lives in docs/area.md, not in the generated report.
    assert "one-hot" not in md and "pipeline register" not in md


def test_targets_summary_sentence():
    text = _targets_summary(analyze(RESULTS))
    assert text.startswith("1 of ")
    assert "missed: SA PE 5opt area <= paper (by 4.9%); SA PE 5opt critical path" in text
    assert text.endswith("not measured (designs not synthesized).")


def test_sparse_tc_shares():
    stc = _result("stc_dp", "5opt", 2000.0, 4.0, 16)
    stc.breakdown.update({"trim and round": 300.0, "sparse selection": 100.0})
    row = analyze([_result("stc_dp", "8b8b", 1000.0, 5.0, 8), stc])["stc"]["5opt"]
    assert row["rel_area"] == pytest.approx(2.0) and row["rel_delay"] == pytest.approx(0.8)
    assert row["tru_share"] == pytest.approx(0.15) and row["select_share"] == pytest.approx(0.05)
