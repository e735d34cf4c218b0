"""The power flow: gate-level simulation, VCD activity, OpenSTA report_power (synth.power).

The known-activity cases check the VCD-to-power step itself, so that an
annotation that does not reach OpenSTA (or one that its activity propagation
overwrites) cannot pass: a register fed a constant switches nothing, an
inverter chain's switching power follows its toggle rate exactly (and the
pin-capacitance formula), and an XOR of a signal with itself, which a
probabilistic propagation would call active, switches nothing.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from synth import gatesim, power, sta
from synth.liberty import DEFAULT_LIBERTY

LIB = DEFAULT_LIBERTY


@pytest.fixture(autouse=True)
def tools():
    """The liberty, OpenSTA and Icarus: a missing one fails the test (never a skip)."""
    if not (LIB.is_file() and shutil.which("sta") and shutil.which("iverilog")):
        pytest.fail("needs qflow-tech-osu018, opensta and iverilog: scripts/system-packages.sh "
                    "power (make setup)", pytrace=False)


@pytest.fixture(scope="module")
def view():
    return power.power_view(LIB.read_text(errors="replace"))


@pytest.fixture(scope="module")
def view_lib(view, tmp_path_factory):
    p = tmp_path_factory.mktemp("lib") / "osu018_power.lib"
    p.write_text(view.text)
    return p


def _measure(tmp_path, view, view_lib, text, stimulus, windows):
    path = tmp_path / "netlist.v"
    path.write_text(text)
    return power.measure("t", path, gatesim.cell_models(LIB, tmp_path), view, view_lib,
                         stimulus, windows, tmp_path / "run")


REG = """module top(clk, d, q);
  input clk;
  input d;
  output q;
  DFFPOSX1 _1_ (
    .CLK(clk),
    .D(d),
    .Q(q)
  );
endmodule
"""


def _chain(n: int) -> str:
    lines = ["module top(clk, a, y);", "  input clk;", "  input a;", "  output y;"]
    lines += [f"  wire _n{i}_;" for i in range(n + 1)]
    lines.append("  BUFX2 _b_ (.A(a), .Y(_n0_));")
    for i in range(n):
        lines.append(f"  INVX1 _i{i}_ (.A(_n{i}_), .Y(_n{i + 1}_));")
    lines += [f"  BUFX2 _o_ (.A(_n{n}_), .Y(y));", "endmodule", ""]
    return "\n".join(lines)


XOR_SELF = """module top(clk, a, y);
  input clk;
  input a;
  output y;
  XOR2X1 _x_ (.A(a), .B(a), .Y(y));
endmodule
"""


def _square(cycles: int, period: int) -> np.ndarray:
    """A bit that toggles every ``period`` cycles."""
    return ((np.arange(cycles) // period) % 2).astype(np.uint8)[:, None]


def test_power_view_adds_when_pins(view):
    nand = view.groups["NAND2X1"]
    assert [(g.pin, g.related) for g in nand] == [("Y", "A"), ("Y", "B")]
    assert all(g.weight_pin for g in nand)
    assert 'when : "PW0"' in view.text and "pin(PW1)" in view.text
    assert view.flop == ("DFFPOSX1", "CLK", "D", "Q")
    assert view.voltage == pytest.approx(1.8)
    assert view.has_internal and view.leakage


def test_register_fed_a_constant_switches_nothing(tmp_path, view, view_lib):
    n = 400
    r = _measure(tmp_path, view, view_lib, REG, {"d": np.zeros((n, 1), np.uint8)},
                 {"const": (2, n)})
    s = r.stream("const")
    assert s.switching_mw == pytest.approx(0.0, abs=1e-9)
    assert s.internal_mw > 0          # the clock pin still costs energy every cycle
    assert s.leakage_mw > 0


def test_inverter_chain_switching_follows_the_toggle_rate(tmp_path, view, view_lib):
    n = 600
    stim = np.concatenate([_square(n, 1), _square(n, 2), np.zeros((n, 1), np.uint8)])
    r = _measure(tmp_path, view, view_lib, _chain(8), {"a": stim},
                 {"full": (1, n), "half": (n + 1, 2 * n), "none": (2 * n + 1, 3 * n)})
    full, half, none = r.stream("full"), r.stream("half"), r.stream("none")
    assert full.switching_mw > 0
    assert full.switching_mw / half.switching_mw == pytest.approx(2.0, rel=0.01)
    assert full.internal_mw / half.internal_mw == pytest.approx(2.0, rel=0.01)
    assert none.switching_mw == pytest.approx(0.0, abs=1e-9)
    # C V^2 a / 2T from the liberty's pin capacitances: the annotation is the one OpenSTA uses
    assert full.switching_mw == pytest.approx(full.check_switching_mw, rel=0.01)


def test_excluded_parts_follow_the_pin_capacitances(tmp_path, view, view_lib):
    """The clock net (C_clk V^2 a cycle) and the input net (C_in V^2 a / 2), worked by hand."""
    n = 400
    r = _measure(tmp_path, view, view_lib, REG, {"d": _square(n, 1)}, {"w": (2, n)})
    s = r.stream("w")
    caps, unit = view.caps["DFFPOSX1"], view.cap_unit_pf * view.voltage ** 2
    period = sta.DEFAULT_PERIOD
    assert s.excluded_clock_mw == pytest.approx(caps["CLK"] * unit / period, rel=1e-6)
    # d toggles every cycle: a = 1 toggle a cycle on the D pin's capacitance
    assert s.excluded_inputs_mw == pytest.approx(0.5 * caps["D"] * unit / period, rel=0.02)
    assert s.excluded_clock_mw > 0 and s.excluded_inputs_mw > 0


def test_correlated_inputs_use_the_measured_activity(tmp_path, view, view_lib):
    n = 400
    r = _measure(tmp_path, view, view_lib, XOR_SELF, {"a": _square(n, 1)}, {"w": (1, n)})
    s = r.stream("w")
    # the inputs toggle every cycle, the output never: a propagated activity would not be 0
    assert s.switching_mw == pytest.approx(0.0, abs=1e-9)
    assert s.check_switching_mw == pytest.approx(0.0, abs=1e-12)


def test_vcd_activity_counts_toggles_and_duty(tmp_path):
    text = _chain(1)
    path = tmp_path / "n.v"
    path.write_text(text)
    net = gatesim.parse_netlist(text)
    stim = {"a": _square(100, 4)}
    vcd = gatesim.simulate(net, path, gatesim.cell_models(LIB, tmp_path), stim, tmp_path)
    act, = gatesim.net_activity(vcd, [(0, 100)])
    assert act.toggles("a") == 24            # toggles at cycles 4, 8, ..., 96
    assert act.duty("a") == pytest.approx(0.48)
    assert act.toggles("_n1_") == 24 and act.duty("_n1_") == pytest.approx(0.52)


def test_flow_end_to_end_on_a_trim_and_round_unit(tmp_path):
    """netlist (map_design or the area flow's) -> simulation -> OpenSTA, one small design."""
    from synth.designs import Design
    design = Design("tru", "2opt")
    rng = np.random.default_rng(0)
    n = 300
    pairs = np.where(rng.random((n, 2)) < 0.4, 0, rng.integers(1, 256, (n, 2)))
    streams = {"random": pairs, "zero": np.zeros_like(pairs)}
    stim = {"in_valid": np.ones((2 * n + 2, 1), np.uint8),
            "in_pair": np.concatenate([np.zeros((2, 16), np.uint8)]
                                      + [power.bits_of(streams[s], 8) for s in streams]),
            "rst": np.concatenate([np.ones((2, 1)), np.zeros((2 * n, 1))]).astype(np.uint8)}
    job = power.Job(design, stim, {"random": (2, n + 2), "zero": (n + 2, 2 * n + 2)})
    res = power.run_designs([job], LIB, tmp_path, n_jobs=1, log=lambda line: None)
    r = res[design.key]
    assert isinstance(r, power.DesignPower), r
    rand, zero = r.stream("random"), r.stream("zero")
    assert rand.power_mw > zero.power_mw > 0
    # only the register that still holds the last random word switches, once
    assert zero.switching_mw < 0.01 * rand.switching_mw
    assert rand.switching_mw == pytest.approx(rand.check_switching_mw, rel=0.02)
    assert rand.leakage_mw == pytest.approx(zero.leakage_mw)


COMB = ["AND2X1", "AOI21X1", "AOI22X1", "BUFX2", "FAX1", "HAX1", "INVX1", "MUX2X1", "NAND2X1",
        "NAND3X1", "NOR2X1", "NOR3X1", "OAI21X1", "OAI22X1", "OR2X1", "XNOR2X1", "XOR2X1"]


def test_behavioural_models_match_the_shipped_models(tmp_path):
    """The models written from the liberty's functions agree with osu018_stdcells.v."""
    models = gatesim.behavioural_models(LIB.read_text())
    shipped = LIB.with_suffix(".v").read_text()
    renamed = models.replace("module ", "module B_")
    pins = {}
    for cell in COMB:
        block = shipped[shipped.index(f"module {cell} ("):]
        head = block[:block.index(";")]
        ports = [p.strip() for p in head[head.index("(") + 1:head.rindex(")")].split(",")]
        outs = [p for p in ports if f"output {p}" in block[:block.index("endmodule")]]
        pins[cell] = ([p for p in ports if p not in outs], outs)
    tb = ["`timescale 1ns/1ps", "module tb;", "  integer i, bad = 0;"]
    for cell, (ins, outs) in pins.items():
        w = len(ins)
        tb.append(f"  reg [{w - 1}:0] x_{cell};")
        for tag in ("s", "b"):
            tb.append(f"  wire [{len(outs) - 1}:0] {tag}_{cell};")
        for tag, name in (("s", cell), ("b", f"B_{cell}")):
            conns = [f".{p}(x_{cell}[{i}])" for i, p in enumerate(ins)]
            conns += [f".{p}({tag}_{cell}[{i}])" for i, p in enumerate(outs)]
            tb.append(f"  {name} u{tag}_{cell} ({', '.join(conns)});")
    tb.append("  initial begin")
    for cell, (ins, _) in pins.items():
        tb += [f"    for (i = 0; i < {1 << len(ins)}; i = i + 1) begin",
               f"      x_{cell} = i; #1;",
               f"      if (s_{cell} !== b_{cell}) begin bad = bad + 1; "
               f"$display(\"MISMATCH {cell} %b\", x_{cell}); end",
               "    end"]
    tb += ["    $display(\"BAD %0d\", bad);", "    $finish;", "  end", "endmodule"]
    (tmp_path / "tb.v").write_text("\n".join(tb) + "\n")
    (tmp_path / "models.v").write_text(renamed)
    comp = subprocess.run(["iverilog", "-o", "sim", "tb.v", "models.v", str(LIB.with_suffix(".v"))],
                          cwd=tmp_path, capture_output=True, text=True)
    assert comp.returncode == 0, comp.stderr
    run = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, capture_output=True, text=True)
    assert "BAD 0" in run.stdout, run.stdout


def test_liberty_expressions():
    assert gatesim.liberty_expr("(!(A B))") == "( ~ ( A & B ) )"
    assert gatesim.liberty_expr("A'+B") == "~ A | B"
    assert gatesim.liberty_expr("(A*B)^C") == "( A & B ) ^ C"


def test_bits_of_packs_lanes_lsb_first():
    b = power.bits_of(np.array([[1, -1]]), 4)
    assert b.tolist() == [[1, 0, 0, 0, 1, 1, 1, 1]]


def test_escaped_names_round_trip():
    assert gatesim._bit("\\a.b [3]") == "\\a.b[3]"
    assert gatesim.verilog_name("\\a.b[3]") == "\\a.b [3]"
    assert gatesim.verilog_name("\\a.b") == "\\a.b "
    assert gatesim.verilog_name("_12_") == "_12_"
