"""Gate-level simulation of a mapped netlist: Icarus with the cell library's Verilog models.

The flow's activity source (``synth.power``): the Yosys netlist (``netlist.v``
as :func:`synth.flow.map_design` writes it) runs in Icarus Verilog against
the standard cells' simulation models, one input vector per clock cycle, and
every net of the top module goes to a VCD.  :func:`net_activity` turns the
VCD into per-net toggle counts and high times over windows of cycles.

Simulation is zero-delay (the models' ``specify`` blocks are ignored, as
Icarus does without ``-gspecify``): a net changes at most once a cycle, so
the activity is the functional activity, without glitches.

Cell models: the Debian package ``qflow-tech-osu018`` ships
``osu018_stdcells.v`` next to the liberty; for a liberty without a Verilog
file beside it, :func:`behavioural_models` writes models from the liberty's
``function``, ``ff`` and ``latch`` attributes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synth.yosys import SynthesisError, ToolMissing

__all__ = ["Port", "Instance", "Netlist", "parse_netlist", "cell_models", "behavioural_models",
           "testbench", "simulate", "verilog_name", "Activity", "net_activity", "CLOCK", "RESET"]

#: Clock and synchronous reset ports of an Amaranth design.
CLOCK, RESET = "clk", "rst"
#: Simulation time of one clock cycle (the testbench's own unit; the power flow scales).
SIM_PERIOD = 10


@dataclass(frozen=True)
class Port:
    name: str
    direction: str          # "input" or "output"
    width: int

    def bits(self) -> list[str]:
        """Net names of the port's bits, LSB first (``name`` for a 1-bit port)."""
        return [self.name] if self.width == 1 else [f"{self.name}[{i}]" for i in range(self.width)]


@dataclass(frozen=True)
class Instance:
    name: str
    cell: str
    pins: dict = field(hash=False)        # pin name -> net name (bit)


@dataclass
class Netlist:
    """The flat top module of a Yosys ``write_verilog -noattr -noexpr`` netlist."""

    top: str
    ports: list
    instances: list
    assigns: list           # (lhs net, rhs net) pairs
    text: str

    @property
    def inputs(self) -> list[Port]:
        return [p for p in self.ports if p.direction == "input"]

    @property
    def outputs(self) -> list[Port]:
        return [p for p in self.ports if p.direction == "output"]

    def nets(self) -> set[str]:
        """Every net bit that a cell pin or a port touches."""
        out = {b for p in self.ports for b in p.bits()}
        for inst in self.instances:
            out.update(inst.pins.values())
        return out


_MODULE = re.compile(r"^module\s+(\S+)\s*\((.*?)\);", re.M | re.S)
_DECL = re.compile(r"^\s*(input|output)\s+(?:\[(\d+):(\d+)\]\s+)?(\S+?)\s*;", re.M)
_INST = re.compile(r"^\s*([A-Za-z_][\w$]*)\s+(\S+)\s*\((.*?)\);", re.M | re.S)
_PIN = re.compile(r"\.(\w+)\(([^()]*)\)")
_ASSIGN = re.compile(r"^\s*assign\s+(.+?)\s*=\s*(.+?)\s*;", re.M)
_KEYWORDS = {"module", "input", "output", "wire", "assign", "reg", "endmodule"}


def _bit(net: str) -> str:
    """A net name as the VCD spells it: an escaped name without its terminating space.

    Yosys writes a bit of an escaped bus as ``\\name [3]``; the VCD as ``\\name[3]``.
    """
    net = net.strip()
    if net.startswith("\\"):
        net = re.sub(r"\s+\[", "[", net)
    return net


def verilog_name(net: str) -> str:
    """A net name of :func:`parse_netlist` as Verilog (an escaped name ends in a space)."""
    if not net.startswith("\\"):
        return net
    m = re.fullmatch(r"(\\\S+?)(\[\d+\])?", net)
    return f"{m.group(1)} {m.group(2) or ''}" if m else net + " "


def parse_netlist(text: str) -> Netlist:
    """Ports, cell instances and assigns of a flat Yosys netlist.

    Raises ValueError on a construct the flow does not handle (a concatenation
    or a constant on a cell pin, several modules).
    """
    modules = _MODULE.findall(text)
    if len(modules) != 1:
        raise ValueError(f"expected one flat module, found {len(modules)}")
    top = modules[0][0]
    ports = [Port(name, d, int(msb) - int(lsb) + 1 if msb else 1)
             for d, msb, lsb, name in _DECL.findall(text)]
    body = text[text.index(");", text.index("module")) + 2:]
    instances = []
    for cell, name, conns in _INST.findall(body):
        if cell in _KEYWORDS:
            continue
        pins = {pin: _bit(net) for pin, net in _PIN.findall(conns)}
        bad = [n for n in pins.values() if not n or "{" in n or "'" in n]
        if bad:
            raise ValueError(f"instance {name} ({cell}): unsupported connection {bad[0]!r}")
        instances.append(Instance(name, cell, pins))
    assigns = [(_bit(lhs), _bit(rhs)) for lhs, rhs in _ASSIGN.findall(body)]
    return Netlist(top, ports, instances, assigns, text)


# ------------------------------------------------------------------ cell models

def cell_models(liberty: Path, workdir: Path) -> Path:
    """The Verilog models of the liberty's cells.

    The ``.v`` file next to the liberty with the same stem (OSU018:
    ``osu018_stdcells.v`` from ``qflow-tech-osu018``), else behavioural models
    written to ``workdir`` by :func:`behavioural_models`.
    """
    shipped = liberty.with_suffix(".v")
    if shipped.is_file():
        return shipped
    out = workdir / f"{liberty.stem}_models.v"
    text = behavioural_models(liberty.read_text(errors="replace"))
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return out


def _groups(text: str, keyword: str):
    """(argument, body) of every ``keyword (arg) { ... }`` group, matching braces."""
    for m in re.finditer(rf"\b{keyword}\s*\(\s*\"?([^\")]*)\"?\s*\)\s*\{{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        yield m.group(1).strip(), text[m.end():i - 1]


def _attr(body: str, name: str) -> str | None:
    m = re.search(rf"\b{name}\s*:\s*\"?([^\";]*)\"?\s*;", body)
    return m.group(1).strip() if m else None


def liberty_expr(expr: str) -> str:
    """A liberty boolean expression as a Verilog expression.

    Liberty: ``!`` or postfix ``'`` for NOT, ``&``, ``*`` or juxtaposition for
    AND, ``|`` or ``+`` for OR, ``^`` for XOR, ``0``/``1`` constants.
    """
    tokens = re.findall(r"[A-Za-z_][\w\[\]\.]*|[01]|[()!'&*|+^]", expr)
    out, prev_operand = [], False
    for tok in tokens:
        operand = tok not in "()!'&*|+^" or tok == "("
        if tok == "'":
            # postfix NOT of the preceding operand (a name or a parenthesized group)
            if out and out[-1] == ")":
                depth, j = 0, len(out) - 1
                while j >= 0:
                    depth += {")": 1, "(": -1}.get(out[j], 0)
                    if depth == 0:
                        break
                    j -= 1
                out.insert(j, "~")
            else:
                out.insert(len(out) - 1, "~")
            prev_operand = True
            continue
        if operand and prev_operand:
            out.append("&")            # juxtaposition is AND
        if tok in ("0", "1"):
            out.append(f"1'b{tok}")
        else:
            out.append({"!": "~", "*": "&", "+": "|"}.get(tok, tok))
        prev_operand = tok not in "(!&*|+^"
    return " ".join(out)


def behavioural_models(liberty_text: str) -> str:
    """Zero-delay Verilog models of every cell with functions or an ``ff``/``latch`` group.

    Combinational outputs are ``assign``s of their ``function``; an ``ff``
    group becomes an edge-triggered register (``clocked_on``, ``next_state``,
    with ``clear``/``preset`` as asynchronous controls), a ``latch`` group a
    level-sensitive one.  Cells with neither (fillers, tri-state buffers) are
    left out.
    """
    text = re.sub(r"/\*.*?\*/", "", liberty_text, flags=re.S)
    modules = []
    for cell, body in _groups(text, "cell"):
        pins = [(name, b) for name, b in _groups(body, "pin")]
        inputs = [n for n, b in pins if _attr(b, "direction") == "input"]
        outputs = [(n, _attr(b, "function")) for n, b in pins
                   if _attr(b, "direction") == "output"]
        if not outputs or any(f is None for _, f in outputs) or "three_state" in body:
            continue
        lines = [f"module {cell} ({', '.join(inputs + [n for n, _ in outputs])});"]
        lines += [f"  input {n};" for n in inputs] + [f"  output {n};" for n, _ in outputs]
        for kind in ("ff", "latch"):
            for state, g in _groups(body, kind):
                iq, iqn = (s.strip() for s in state.split(","))
                lines += [f"  reg {iq};", f"  wire {iqn} = ~{iq};"]
                clear, preset = _attr(g, "clear"), _attr(g, "preset")
                if kind == "ff":
                    clk = liberty_expr(_attr(g, "clocked_on"))
                    edge = (f"negedge {clk.lstrip('~ ')}" if clk.startswith("~")
                            else f"posedge {clk}")
                    sens = [edge]
                    for ctl in (clear, preset):
                        if ctl:
                            c = liberty_expr(ctl)
                            sens.append(f"negedge {c.lstrip('~ ')}" if c.startswith("~")
                                        else f"posedge {c}")
                    lines.append(f"  always @({' or '.join(sens)})")
                    body_lines = []
                    if clear:
                        body_lines.append(f"if ({liberty_expr(clear)}) {iq} <= 1'b0;")
                    if preset:
                        body_lines.append(f"{'else ' if clear else ''}if ({liberty_expr(preset)})"
                                          f" {iq} <= 1'b1;")
                    nxt = liberty_expr(_attr(g, "next_state"))
                    body_lines.append(f"{'else ' if body_lines else ''}{iq} <= {nxt};")
                    lines += ["    " + b for b in body_lines]
                else:
                    enable, data = _attr(g, "enable"), _attr(g, "data_in")
                    lines.append("  always @*")
                    lines.append(f"    if ({liberty_expr(enable)}) {iq} = {liberty_expr(data)};")
        for name, func in outputs:
            lines.append(f"  assign {name} = {liberty_expr(func)};")
        lines.append("endmodule")
        modules.append("\n".join(lines))
    return "// Behavioural cell models generated from the liberty by synth.gatesim\n" \
        + "\n\n".join(modules) + "\n"


# ------------------------------------------------------------------ simulation

def _hex_lines(bits: np.ndarray) -> list[str]:
    """(cycles, width) 0/1 array, bit 0 = LSB -> one hex string per cycle."""
    cycles, width = bits.shape
    pad = -width % 4
    b = np.concatenate([bits.astype(np.uint8), np.zeros((cycles, pad), np.uint8)], axis=1)
    nib = b.reshape(cycles, -1, 4) @ np.array([1, 2, 4, 8], np.uint8)
    digits = np.array(list("0123456789abcdef"))[nib[:, ::-1]]
    return ["".join(row) for row in digits]


def testbench(net: Netlist, order: list[Port], cycles: int, stim_file: str,
              vcd_file: str) -> str:
    """A testbench applying one stimulus line a cycle (at the rising edge) and dumping the VCD.

    Line ``t`` of ``stim_file`` holds the inputs ``order`` (first port in the
    LSBs) for cycle ``t``; they change together with the registers, so every
    net of the design changes at most once a cycle, at the clock edge.
    """
    width = sum(p.width for p in order)
    lines = ["`timescale 1ns/1ps", "module power_tb;",
             "  reg clk = 1'b0;", f"  reg [{width - 1}:0] stim [0:{cycles - 1}];",
             f"  reg [{width - 1}:0] cur;", "  integer i;"]
    conns, lo = [], 0
    for p in order:
        conns.append(f".{p.name}(cur[{lo + p.width - 1}:{lo}])")
        lo += p.width
    for p in net.outputs:
        lines.append(f"  wire [{p.width - 1}:0] o_{p.name};")
        conns.append(f".{p.name}(o_{p.name})")
    if any(p.name == CLOCK for p in net.inputs):
        conns.append(f".{CLOCK}(clk)")
    half = SIM_PERIOD // 2
    lines += [f"  {net.top} dut ({', '.join(conns)});",
              f"  always #{half} clk = ~clk;",
              "  initial begin",
              f"    $readmemh(\"{stim_file}\", stim);",
              "    cur = stim[0];",
              f"    $dumpfile(\"{vcd_file}\");",
              "    $dumpvars(1, dut);",
              f"    for (i = 1; i < {cycles}; i = i + 1) begin",
              "      @(posedge clk);",
              "      cur <= stim[i];",
              "    end",
              "    @(posedge clk);",
              "    #1 $finish;",
              "  end",
              "endmodule"]
    return "\n".join(lines) + "\n"


def _iverilog() -> tuple[str, str]:
    iv, vvp = shutil.which("iverilog"), shutil.which("vvp")
    if iv is None or vvp is None:
        raise ToolMissing("Icarus Verilog ('iverilog', 'vvp') not found: install the Debian "
                          "package 'iverilog' (make setup)")
    return iv, vvp


def simulate(net: Netlist, netlist_path: Path, models: Path, stimulus: dict,
             workdir: Path) -> Path:
    """Run the netlist on ``stimulus`` (input port -> (cycles, width) bits); return the VCD.

    Every input but the clock needs a stimulus; the first cycle is the
    testbench's first vector (hold ``rst`` high there to clear the registers).
    """
    iv, vvp = _iverilog()
    order = [p for p in net.inputs if p.name != CLOCK]
    missing = [p.name for p in order if p.name not in stimulus]
    if missing:
        raise ValueError(f"no stimulus for input(s) {', '.join(missing)}")
    cycles = {stimulus[p.name].shape[0] for p in order}
    if len(cycles) != 1:
        raise ValueError(f"stimuli of different lengths: {sorted(cycles)}")
    n = cycles.pop()
    for p in order:
        if stimulus[p.name].shape != (n, p.width):
            raise ValueError(f"stimulus {p.name}: shape {stimulus[p.name].shape}, "
                             f"expected ({n}, {p.width})")
    bits = np.concatenate([stimulus[p.name] for p in order], axis=1)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "stim.hex").write_text("\n".join(_hex_lines(bits)) + "\n")
    (workdir / "tb.v").write_text(testbench(net, order, n, "stim.hex", "activity.vcd"))
    log = workdir / "sim.log"
    comp = subprocess.run([iv, "-g2005", "-o", "sim.vvp", "tb.v", str(netlist_path.resolve()),
                           str(models.resolve())], cwd=workdir, capture_output=True, text=True)
    if comp.returncode != 0:
        log.write_text(comp.stdout + comp.stderr)
        first = (comp.stderr.strip().splitlines() or ["no output"])[0]
        raise SynthesisError(f"iverilog: {first} (log {log})")
    run = subprocess.run([vvp, "-n", "sim.vvp"], cwd=workdir, capture_output=True, text=True)
    log.write_text(comp.stdout + comp.stderr + run.stdout + run.stderr)
    if run.returncode != 0:
        raise SynthesisError(f"vvp: exit code {run.returncode} (log {log})")
    return workdir / "activity.vcd"


# ------------------------------------------------------------------ VCD

@dataclass
class Activity:
    """Per-net activity over a window of clock cycles.

    ``changes[net]``: the cycles (sorted) at whose rising edge the net
    toggled inside the window; ``high[net]``: cycles it was 1.
    ``activity = toggles / cycles`` (transitions per clock period) and
    ``duty = high / cycles`` are what OpenSTA takes.  ``unknown``: nets that
    were x or z somewhere in the window.
    """

    cycles: int
    changes: dict
    high: dict
    unknown: set = field(default_factory=set)

    def toggles(self, net: str) -> int:
        return len(self.changes[net])

    def activity(self, net: str) -> float:
        return len(self.changes[net]) / self.cycles

    def duty(self, net: str) -> float:
        return self.high[net] / self.cycles


def _vcd_header(text: bytes):
    """{id code: [bit net names, MSB first]} of a VCD header, and where the body starts."""
    end = text.index(b"$enddefinitions")
    ids: dict[str, list[str]] = {}
    for line in text[:end].decode().splitlines():
        if not line.startswith("$var"):
            continue
        parts = line.split()
        size, code, name = int(parts[2]), parts[3], parts[4]
        rng = parts[5] if len(parts) > 6 else ""
        if size == 1:
            bits = [name + (rng if rng and ":" not in rng else "")]
        else:
            m = re.match(r"\[(\d+):(\d+)\]", rng)
            msb, lsb = (int(m.group(1)), int(m.group(2))) if m else (size - 1, 0)
            step = -1 if msb >= lsb else 1
            bits = [f"{name}[{i}]" for i in range(msb, lsb + step, step)]
        ids.setdefault(code, []).extend(bits)
    return ids, text.index(b"\n", end) + 1


def _code_keys(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Integer keys of the id codes ``buf[starts[i]:starts[i] + lengths[i]]`` (up to 7 bytes)."""
    if lengths.size and lengths.max() > 7:
        raise ValueError("VCD id code longer than 7 characters")
    key = np.zeros(starts.size, np.int64)
    for k in range(int(lengths.max()) if lengths.size else 0):
        has = lengths > k
        key[has] |= buf[starts[has] + k].astype(np.int64) << (8 * k)
    return key


def _key(code: str) -> int:
    return sum(b << (8 * k) for k, b in enumerate(code.encode()))


def _vcd_traces(path: Path):
    """{bit net: (times, values)} of every variable of a VCD (values 0, 1, 2 = x/z).

    Scalar changes (the bulk: one line per net change) are parsed with numpy;
    vector changes (the ports) line by line.
    """
    text = path.read_bytes()
    ids, body_start = _vcd_header(text)
    buf = np.frombuffer(text, np.uint8)
    nl = np.flatnonzero(buf == 10)
    nl = nl[nl >= body_start - 1]
    starts, ends = nl[:-1] + 1, nl[1:]
    nonempty = ends > starts
    starts, ends = starts[nonempty], ends[nonempty]
    first = buf[starts]
    is_time = first == ord("#")
    line_time_idx = np.cumsum(is_time) - 1                 # index of the last timestamp line
    times = np.array([int(text[s + 1:e]) for s, e in zip(starts[is_time], ends[is_time],
                                                          strict=True)], np.int64)
    # a change before any timestamp is at time 0
    line_time = np.where(line_time_idx >= 0, times[np.maximum(line_time_idx, 0)]
                         if times.size else 0, 0)
    scalar = np.isin(first, np.frombuffer(b"01xzXZ", np.uint8))
    s_start, s_len = starts[scalar] + 1, ends[scalar] - starts[scalar] - 1
    keys = _code_keys(buf, s_start, s_len)
    vals = first[scalar] - ord("0")
    vals = np.where(vals > 1, 2, vals).astype(np.int8)
    s_time = line_time[scalar]
    order = np.argsort(keys, kind="stable")
    keys, vals, s_time = keys[order], vals[order], s_time[order]
    uniq, first_idx = np.unique(keys, return_index=True)
    ends_idx = np.append(first_idx[1:], keys.size)
    bounds = dict(zip(uniq.tolist(), zip(first_idx.tolist(), ends_idx.tolist(), strict=True),
                      strict=True))
    vector = (first == ord("b")) | (first == ord("B"))
    vec_changes: dict[str, list] = {}
    for s, e, t in zip(starts[vector], ends[vector], line_time[vector], strict=True):
        val, code = text[s + 1:e].decode().split()
        vec_changes.setdefault(code, []).append((int(t), val))
    traces = {}
    for code, bits in ids.items():
        if len(bits) == 1 and code not in vec_changes:
            lo, hi = bounds.get(_key(code), (0, 0))
            traces[bits[0]] = (s_time[lo:hi], vals[lo:hi])
            continue
        ch = vec_changes.get(code, [])
        width = len(bits)
        t = np.array([c[0] for c in ch], np.int64)
        txt = "".join(v.lower().rjust(width, "0" if v[0] in "01" else v.lower()[0])
                      for _, v in ch)
        table = np.frombuffer(txt.encode(), np.uint8).reshape(len(ch), width) - ord("0")
        table = np.where(table > 1, 2, table).astype(np.int8)
        for i, net in enumerate(bits):
            traces[net] = (t, table[:, i])
    return traces


def net_activity(vcd: Path, windows: list[tuple[int, int]], ps_per_unit: float = 1000.0):
    """Activity of every net of the top scope over each window ``[start, end)`` of cycles.

    A change at the rising edge that starts cycle ``t`` (time
    ``t * SIM_PERIOD - SIM_PERIOD / 2`` ns) belongs to cycle ``t``; the
    toggles of cycle ``start`` itself (from the previous window's state) are
    not counted.  ``ps_per_unit``: VCD time steps per testbench time unit.
    The clock is left out.
    """
    period = SIM_PERIOD * ps_per_unit
    out = [Activity(e - s, {}, {}) for s, e in windows]
    for net, (times, seq) in _vcd_traces(vcd).items():
        if net == CLOCK:
            continue
        cyc = np.floor((times + period / 2) / period).astype(np.int64)
        for act, (s, e) in zip(out, windows, strict=True):
            _window(act, net, cyc, seq, s, e)
    return out


def _window(act: Activity, net: str, cyc: np.ndarray, seq: np.ndarray, s: int, e: int):
    """Toggle cycles and high cycles of one bit (values 0, 1, 2 = x/z) inside ``[s, e)``."""
    if seq.size == 0:
        act.changes[net], act.high[net] = np.zeros(0, np.int64), 0
        act.unknown.add(net)
        return
    keep = np.append(cyc[1:] != cyc[:-1], True)        # the last value of a cycle wins
    c, v = cyc[keep], seq[keep]
    before = np.searchsorted(c, s, side="right") - 1     # value in force in cycle s
    start_val = v[before] if before >= 0 else 2
    inside = (c > s) & (c < e)
    ci = c[inside]
    vals = np.concatenate([[start_val], v[inside]])
    if (vals > 1).any():
        act.unknown.add(net)
    bounds = np.concatenate([[s], ci, [e]])
    act.high[net] = int(np.diff(bounds)[vals == 1].sum())
    toggled = (vals[1:] != vals[:-1]) & (vals[1:] < 2) & (vals[:-1] < 2)
    act.changes[net] = ci[toggled]
