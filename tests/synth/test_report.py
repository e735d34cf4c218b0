"""The report's derived tables on hand-made results (numbers worked out by hand)."""

import csv
import io
import json

import pytest

from synth.designs import CATEGORIES
from synth.report import ARRAY_SIZE, analyze, write_all

META = {"library": "toy", "liberty": "/toy.lib", "nand2": "NAND2X1", "nand2_area": 24.0,
        "area_unit": "um^2", "time_unit": "1ns", "yosys": "Yosys 0.70", "period": 10.0,
        "acc_width": 32, "booth": False, "synth_cmd": "synth"}


def _result(kind, variant, area, delay, macs=None):
    bd = dict.fromkeys(CATEGORIES, 0.0)
    bd.update({"multipliers": area / 2, "adder tree": area / 4, "registers": area / 4})
    return {"key": f"{kind}_{variant}", "kind": kind, "variant": variant,
            "top": f"sparq_{kind}_{variant}", "macs_per_cycle": macs, "area": area,
            "area_nand2": area / 24, "sequential_area": area / 4, "cells": 10,
            "hier_area": area, "breakdown": bd, "delay": delay, "slack": 10 - delay,
            "startpoint": "a (in)", "endpoint": "b (ff)"}


RESULTS = [
    _result("sa_pe", "8b8b", 1000.0, 5.0, 1),
    _result("sa_pe", "2x4b8b", 1040.0, 5.0, 2),
    _result("sa_pe", "5opt", 1500.0, 6.0, 2),
    _result("tc_dp", "8b8b", 4000.0, 8.0, 4),
    _result("tru", "5opt", 600.0, 2.0),
    {"key": "sa_pe_sysmt", "kind": "sa_pe", "variant": "sysmt", "missing": "ImportError: x"},
]


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
    assert "`sa_pe_sysmt`: ImportError: x" in md
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO((tmp_path / "area.csv").read_text()))}
    assert float(rows["sa_pe_5opt"]["rel_area"]) == pytest.approx(1.5)
    assert json.loads((tmp_path / "area.json").read_text())["meta"]["library"] == "toy"
    assert (tmp_path / "area_breakdown.png").read_bytes()[:4] == b"\x89PNG"


def test_sparse_tc_shares():
    stc = _result("stc_dp", "5opt", 2000.0, 4.0, 16)
    stc["breakdown"].update({"trim and round": 300.0, "sparse selection": 100.0})
    row = analyze([_result("stc_dp", "8b8b", 1000.0, 5.0, 8), stc])["stc"]["5opt"]
    assert row["rel_area"] == pytest.approx(2.0) and row["rel_delay"] == pytest.approx(0.8)
    assert row["tru_share"] == pytest.approx(0.15) and row["select_share"] == pytest.approx(0.05)
