"""The flow's parsers on hand-written liberty, Yosys ``stat -json`` and OpenSTA snippets.

Every expected number below is worked out by hand from the snippet.
"""

import json
import textwrap

import pytest

from synth import liberty, sta, yosys
from synth.flow import breakdown

LIBERTY = textwrap.dedent("""\
    /* a comment with cell (FAKE) { area : 999; } inside */
    library (toy_cells) {
      time_unit : "1ns";
      cell (INVX1) { area : 16; pin(A) { direction : input; } }
      cell (NAND2X1) { area : 24; pin(Y) { function : "!(A&B)"; } }
      cell (NAND2X2) { area : 32; }
      cell (DFFPOSX1) {
        area : 96;
        ff (DS0000,P0002) { next_state : "D"; clocked_on : "CLK"; }
      }
    }
    """)


@pytest.fixture
def lib(tmp_path):
    path = tmp_path / "toy.lib"
    path.write_text(LIBERTY)
    return liberty.parse(path)


def test_liberty_cells_areas_and_registers(lib):
    assert lib.name == "toy_cells"
    assert lib.areas == {"INVX1": 16, "NAND2X1": 24, "NAND2X2": 32, "DFFPOSX1": 96}
    assert lib.sequential == {"DFFPOSX1"}
    assert (lib.nand2, lib.nand2_area) == ("NAND2X1", 24)
    assert lib.time_unit == "1ns"


def test_liberty_flops_inverters_and_buffers(tmp_path):
    path = tmp_path / "cells.lib"
    path.write_text(textwrap.dedent("""\
        library (cells) {
          cell (INVX1) { area : 16; pin(A) { direction : input; }
                         pin(Y) { direction : output; function : "(!A)"; } }
          cell (INVP) { area : 16; pin(A) { direction : "input"; }
                        pin(Y) { direction : output; function : "A'"; } }
          cell (BUFX2) { area : 20; pin(A) { direction : input; }
                         pin(Y) { direction : output; function : "A"; } }
          cell (TBUFX1) { area : 24; pin(A) { direction : input; }
                          pin(Y) { direction : output; function : "(!A)"; three_state : "EN"; } }
          cell (NAND2X1) { area : 24; pin(A) { direction : input; } pin(B) { direction : input; }
                           pin(Y) { direction : output; function : "(!(A B))"; } }
          cell (DFFPOSX1) { area : 96; ff (DS0000,P0002) { next_state : "D"; }
                            pin(D) { direction : input; }
                            pin(Q) { direction : output; function : "DS0000"; } }
          cell (LATCH) { area : 80; latch (P0000,P0001) { data_in : "D"; } }
        }
        """))
    lib = liberty.parse(path)
    assert lib.inverters == {"INVX1", "INVP"}       # not the tri-state TBUFX1
    assert lib.buffers == {"BUFX2"}                 # not the flip-flop's Q = DS0000
    assert lib.flops == {"DFFPOSX1"} and lib.sequential == {"DFFPOSX1", "LATCH"}


def test_yosys_errors_name_the_missing_cells(lib):
    # Yosys 0.70's words; `bare` has no flip-flop, inverter or buffer.
    ff = ("FF top.$auto$ff.cc:337 (type $_SDFF_PP0_) cannot be legalized: "
          "D flip-flops are not supported")
    bare = liberty.Liberty(lib.path, "bare", lib.areas, frozenset(), "NAND2X1", "1ns")
    assert yosys.explain(ff, bare) == ("toy.lib has no flip-flop cell for the design's registers; "
                                       "Yosys dfflegalize: D flip-flops are not supported")
    abc = "Can't open ABC output file `/tmp/yosys-abc-000003/output.blif'."
    assert yosys.explain(abc, bare).startswith("toy.lib has no inverter and no buffer cell, "
                                               "which ABC needs")
    both = liberty.Liberty(lib.path, "x", lib.areas, frozenset(), "NAND2X1", "1ns",
                           inverters=frozenset({"INVX1"}), buffers=frozenset({"BUFX2"}))
    assert yosys.explain(abc, both) == f"ABC wrote no netlist: {abc}"
    assert yosys.explain("Module `top' not found!", both) == "Module `top' not found!"


def test_missing_default_liberty_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(liberty, "DEFAULT_LIBERTY", tmp_path / "absent.lib")
    monkeypatch.delenv(liberty.LIBERTY_ENV, raising=False)
    with pytest.raises(liberty.LibraryMissing, match="qflow-tech-osu018"):
        liberty.resolve()


def test_liberty_from_environment(monkeypatch, tmp_path):
    path = tmp_path / "env.lib"
    path.write_text(LIBERTY)
    monkeypatch.setenv(liberty.LIBERTY_ENV, str(path))
    assert liberty.resolve() == path
    assert liberty.resolve(tmp_path / "env.lib") == path


# A hierarchical `stat -json`: top holds 2 flops, 1 inverter and two instances of
# `top.mul`; `top.mul` holds 3 NAND2X1 and 1 INVX1; `top.add` (one instance) is empty.
STAT = {
    "creator": "Yosys 0.70",
    "modules": {
        "\\top.mul": {"num_cells": 4, "area": 88.0,
                      "num_cells_by_type": {"NAND2X1": 3, "INVX1": 1}},
        "\\top.add": {"num_cells": 0, "num_cells_by_type": {}},
        "\\top": {"num_cells": 6, "area": 384.0,
                  "num_cells_by_type": {"DFFPOSX1": 2, "INVX1": 1, "top.mul": 2, "top.add": 1}},
    },
    "design": {"area": 384.0},
}


def test_stat_local_and_hierarchical_areas(lib):
    stats = yosys.parse_stat(json.dumps(STAT), lib)
    assert stats["top"].cells == {"DFFPOSX1": 2, "INVX1": 1}
    assert stats["top"].submodules == {"top.mul": 2, "top.add": 1}
    assert stats["top"].area(lib) == 2 * 96 + 16
    assert stats["top"].sequential_area(lib) == 192
    assert stats["top.mul"].area(lib) == 3 * 24 + 16
    totals = yosys.hierarchy_areas(stats, lib)
    assert totals == {"top": 208 + 2 * 88, "top.mul": 88, "top.add": 0}


def test_stat_unmapped_cell_is_an_error(lib):
    bad = {"modules": {"\\top": {"num_cells_by_type": {"$_AND_": 3}}}}
    with pytest.raises(ValueError, match=r"\$_AND_.*unmapped"):
        yosys.parse_stat(json.dumps(bad), lib)


def test_breakdown_by_component_class(lib):
    stats = yosys.parse_stat(json.dumps(STAT), lib)
    classes = {"top": "SystolicPE", "top.mul": "Multiplier", "top.add": "AdderTree"}
    areas = breakdown(stats, classes, lib)
    assert areas["multipliers"] == 2 * 88
    assert areas["registers"] == 192
    assert areas["control and glue"] == 16        # the top's own inverter
    assert areas["shifters and muxes"] == 0
    assert areas["adder tree"] == 0
    assert sum(areas.values()) == yosys.hierarchy_areas(stats, lib)["top"]


REPORT = textwrap.dedent("""\
    Startpoint: in_pair[13] (input port clocked by clk)
    Endpoint: _299_ (rising edge-triggered flip-flop clocked by clk)
    Path Group: clk
    Path Type: max

        Delay      Time   Description
    -------------------------------------------------------------
       0.0000    0.0000   clock clk (rise edge)
       0.2869    0.2869 ^ in_pair[13] (in)
       0.0696    1.6236 v _191_/Y (OAI22X1)
       0.0000    1.6236 v _299_/D (DFFPOSX1)
                 1.6236   data arrival time

      10.0000   10.0000   clock clk (rise edge)
      -0.1597    9.8403   library setup time
                 9.8403   data required time
    -------------------------------------------------------------
                 9.8403   data required time
                -1.6236   data arrival time
    -------------------------------------------------------------
                 8.2167   slack (MET)
    """)


def test_sta_report_delay_is_period_minus_slack():
    t = sta.parse_report(REPORT, period=10.0)
    assert t.slack == pytest.approx(8.2167)
    assert t.arrival == pytest.approx(1.6236)
    assert t.delay == pytest.approx(1.6236 + 0.1597)   # arrival + setup
    assert t.startpoint.startswith("in_pair[13]")
    assert t.endpoint.startswith("_299_")


def test_sta_violated_path():
    report = REPORT.replace("8.2167   slack (MET)", "-0.5000   slack (VIOLATED)")
    assert sta.parse_report(report, period=2.0).delay == pytest.approx(2.5)


def test_sta_report_without_path_is_an_error():
    with pytest.raises(ValueError, match="no timing path"):
        sta.parse_report("No paths found.\n", period=10.0)
