"""Power from real switching activity: gate-level simulation, VCD, OpenSTA ``report_power``.

The flow core of ``make power`` (issue 10).  It takes input streams as arrays
(``{port: (cycles, width) bits}``) and never imports ``workloads``:
``python -m workloads.power`` builds the streams from the trained network and
calls :func:`run_designs` (:mod:`synth.power_report` writes the report).

Per design:

1. the mapped netlist of :func:`synth.flow.map_design` (the area flow's own
   ``netlist.v``, reused when its ``design.v`` is the current Verilog);
2. a gate-level simulation of every stream back to back (Icarus with the cell
   library's Verilog models, :mod:`synth.gatesim`), one VCD of every net of
   the design;
3. per stream, the toggle rate and duty of every net over its window of
   cycles, annotated on every cell pin, and OpenSTA's ``design_power``
   (internal, switching, leakage) at the same clock for every design.

How the annotation reaches OpenSTA.  Debian's OpenSTA (0~20191111gitc018cb2)
has no ``read_vcd`` and no ``read_saif``, and its activity propagation
overwrites per-pin activities from input-port activities with a
probabilistic model.  So:

* the netlist OpenSTA reads (:func:`sta_netlist`) drives every input of the
  design from a register of the library clocked by ``clk`` (D tied to Q): the
  design then has no timing root but the clock, the propagation visits no
  pin, and the pin activities set with ``set_power_pin_activity`` (every pin
  of every cell, from the VCD) are the ones ``report_power`` uses.  Those
  registers stand for the neighbour's registers that feed a PE in the array;
  their own power is subtracted;
* a staged copy of the liberty (:func:`power_view`) gives every
  ``internal_power`` group without a ``when`` a ``when`` on a new zero-load
  pin of the cell.  That version of OpenSTA charges ``(E_rise + E_fall) x
  duty`` per toggle, with duty from an inferred condition (or 1 on a clock
  arc), i.e. up to twice the table energy; with the pin's duty set to half
  the arc's measured share of the output's toggles (inputs: 1/2), each
  toggle costs the mean of the rise and fall tables, split over the input
  arcs that caused it, as current OpenSTA does.  The share is measured: in a
  zero-delay simulation an output toggles in the cycle its cause toggles.

:func:`check_switching` recomputes the switching power from the liberty's
pin capacitances and the measured toggle rates, so an annotation that did
not take cannot pass unnoticed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synth import gatesim, sta
from synth.gatesim import CLOCK, Activity, Netlist, parse_netlist, verilog_name
from synth.yosys import SynthesisError

__all__ = ["PowerView", "power_view", "sta_netlist", "StreamPower", "DesignPower",
           "measure", "check_switching", "excluded_power", "bits_of", "CLOCK_TRANSITION"]

#: Transition time of the ideal clock at the registers (ns): that of a
#: buffered clock net; the clock tree itself is not modelled.
CLOCK_TRANSITION = 0.1
_STIM = "pwrstim_"
_PW = "PW"


# ------------------------------------------------------------------ liberty power view

def _span(text: str, open_brace: int) -> int:
    """Index just past the brace that closes the one at ``open_brace``."""
    depth, i = 0, open_brace
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces in the liberty file")


def _iter_groups(text: str, keyword: str, start: int = 0, end: int | None = None):
    """(name, open brace index, end index) of ``keyword(name) {...}`` groups in a range."""
    end = len(text) if end is None else end
    rx = re.compile(rf"\b{keyword}\s*\(\s*\"?([^\")]*?)\"?\s*\)\s*\{{")
    pos = start
    while True:
        m = rx.search(text, pos, end)
        if m is None:
            return
        brace = m.end() - 1
        stop = _span(text, brace)
        yield m.group(1).strip(), brace, stop
        pos = stop


@dataclass(frozen=True)
class Group:
    """One ``internal_power`` group: on ``pin``, related to ``related`` (None: none)."""

    pin: str
    related: str | None
    weight_pin: str | None      # the added ``when`` pin, None when the group had a when


@dataclass
class PowerView:
    """The liberty as the power flow uses it.

    Attributes
    ----------
    text : str
        The liberty with the ``when`` pins added (see the module docstring).
    groups : dict
        cell -> list of :class:`Group`.
    caps : dict
        cell -> {input pin: capacitance}, in the liberty's unit (pF for OSU018).
    outputs : dict
        cell -> output pins.
    clock_pins : dict
        cell -> pins with ``clock : true``.
    leakage : bool
        Some cell has ``cell_leakage_power`` or ``leakage_power``.
    voltage : float
    flop : tuple or None
        (cell, clock pin, data pin, output pin) of the smallest plain D flip-flop.
    cap_unit_pf, power_unit : float, str
    """

    text: str
    groups: dict
    caps: dict
    outputs: dict
    clock_pins: dict
    leakage: bool
    voltage: float
    flop: tuple | None
    cap_unit_pf: float = 1.0

    @property
    def has_internal(self) -> bool:
        return any(self.groups.values())

    @property
    def has_power(self) -> bool:
        return self.has_internal or self.leakage


def _attr(body: str, name: str) -> str | None:
    m = re.search(rf"\b{name}\s*:\s*\"?([^\";]*?)\"?\s*;", body)
    return m.group(1).strip() if m else None


def power_view(liberty_text: str) -> PowerView:
    """Parse the liberty's power data and write its annotated copy (module docstring)."""
    text = re.sub(r"/\*.*?\*/", "", liberty_text, flags=re.S)
    edits: list[tuple[int, str]] = []
    groups, caps, outputs, clock_pins, flops = {}, {}, {}, {}, []
    area_of = {}
    for cell, cbrace, cend in _iter_groups(text, "cell"):
        cell_groups, cell_caps, cell_outs, clocks = [], {}, [], set()
        area = _attr(text[cbrace:cend], "area")
        area_of[cell] = float(area) if area else 0.0
        k = 0
        for pin, pbrace, pend in _iter_groups(text, "pin", cbrace + 1, cend - 1):
            head = text[pbrace:pend]
            direction = _attr(head, "direction")
            if direction == "input":
                cap = _attr(head, "capacitance")
                cell_caps[pin] = float(cap) if cap else 0.0
            elif direction == "output":
                cell_outs.append(pin)
            if _attr(head, "clock") == "true":
                clocks.add(pin)
            for _, ibrace, iend in _iter_groups(text, "internal_power", pbrace + 1, pend - 1):
                body = text[ibrace:iend]
                related = _attr(body, "related_pin")
                if _attr(body, "when") is not None:
                    cell_groups.append(Group(pin, related, None))
                    continue
                wpin = f"{_PW}{k}"
                k += 1
                edits.append((ibrace + 1, f"\n      when : \"{wpin}\";"))
                cell_groups.append(Group(pin, related, wpin))
        if k:
            pins = "".join(f"\n  pin({_PW}{i}) {{\n    direction : input;\n    capacitance : 0;\n"
                           f"  }}" for i in range(k))
            edits.append((cend - 1, pins + "\n"))
        groups[cell], caps[cell], outputs[cell], clock_pins[cell] = (cell_groups, cell_caps,
                                                                     cell_outs, clocks)
        for _state, fbrace, fend in _iter_groups(text, "ff", cbrace + 1, cend - 1):
            ff = text[fbrace:fend]
            clk, nxt = _attr(ff, "clocked_on"), _attr(ff, "next_state")
            if (clk and nxt and re.fullmatch(r"\w+", clk) and re.fullmatch(r"\w+", nxt)
                    and not _attr(ff, "clear") and not _attr(ff, "preset")
                    and len(cell_outs) >= 1):
                flops.append((cell, clk, nxt, cell_outs[0]))
    out = text
    for pos, ins in sorted(edits, reverse=True):
        out = out[:pos] + ins + out[pos:]
    leakage = bool(re.search(r"\b(cell_leakage_power|leakage_power)\b", text))
    volt = _attr(text, "nom_voltage")
    cap_unit = re.search(r"capacitive_load_unit\s*\(\s*([0-9.]+)\s*,\s*(\w+)\s*\)", text)
    scale = 1.0
    if cap_unit:
        scale = float(cap_unit.group(1)) * {"pf": 1.0, "ff": 1e-3}.get(cap_unit.group(2).lower(),
                                                                       1.0)
    flop = min(flops, key=lambda f: (area_of.get(f[0], 0.0), f[0])) if flops else None
    return PowerView(out, groups, caps, outputs, clock_pins, leakage,
                     float(volt) if volt else 0.0, flop, scale)


# ------------------------------------------------------------------ OpenSTA netlist

def _range(width: int) -> str:
    return f"[{width - 1}:0] " if width > 1 else ""


_WIRE = re.compile(r"^\s*wire\s+(\[\d+:\d+\]\s+)?(\S+?)\s*;", re.M)


def sta_netlist(net: Netlist, view: PowerView) -> tuple[str, dict]:
    """The ``power_top`` netlist OpenSTA reads, and {net: [instance/pin, ...]} of its cells.

    The design's cells as they are, each with its ``when`` pins on a net of
    its own; every input bit but the clock on the output of a library
    register clocked by ``clk`` whose D is its Q; the outputs as ports.
    """
    if view.flop is None:
        raise ValueError("the liberty has no plain D flip-flop to drive the inputs with")
    fcell, fclk, fd, fq = view.flop
    lines = [f"module power_top ({', '.join([CLOCK] + [p.name for p in net.outputs])});",
             f"  input {CLOCK};"]
    for p in net.outputs:
        lines.append(f"  output {_range(p.width)}{p.name};")
    declared = {p.name for p in net.outputs} | {CLOCK}
    for rng, name in _WIRE.findall(net.text):
        if name not in declared:
            declared.add(name)
            lines.append(f"  wire {rng}{name}{' ' if name.startswith(chr(92)) else ''};")
    for p in net.inputs:
        if p.name not in declared:
            declared.add(p.name)
            lines.append(f"  wire {_range(p.width)}{p.name};")
    pins: dict[str, list[str]] = {}
    cells = []
    for inst in net.instances:
        conns = dict(inst.pins)
        for g in view.groups.get(inst.cell, ()):
            if g.weight_pin:
                nc = f"pwnc_{inst.name.strip(chr(92)).strip('_')}_{g.weight_pin}"
                lines.append(f"  wire {nc};")
                conns[g.weight_pin] = nc
        cells.append(f"  {inst.cell} {verilog_name(inst.name)} ("
                     + ", ".join(f".{p}({verilog_name(n)})" for p, n in conns.items()) + ");")
        for p, n in inst.pins.items():
            pins.setdefault(n, []).append(f"{inst.name}/{p}")
    k = 0
    for p in net.inputs:
        if p.name == CLOCK:
            continue
        for b in p.bits():
            name = f"{_STIM}{k}"
            k += 1
            cells.append(f"  {fcell} {name} (.{fclk}({CLOCK}), .{fd}({verilog_name(b)}), "
                         f".{fq}({verilog_name(b)}));")
    lines += cells
    lines += [f"  assign {verilog_name(lhs)} = {verilog_name(rhs)};" for lhs, rhs in net.assigns]
    lines.append("endmodule")
    return "\n".join(lines) + "\n", pins


# ------------------------------------------------------------------ weights

def _weights(net: Netlist, view: PowerView, act: Activity) -> dict[str, float]:
    """Duty of every ``when`` pin (instance/pin -> duty): half the arc's share of the toggles."""
    out = {}
    for inst in net.instances:
        groups = [g for g in view.groups.get(inst.cell, ()) if g.weight_pin]
        if not groups:
            continue
        clocks = view.clock_pins.get(inst.cell, set())
        by_pin: dict[str, list[Group]] = {}
        for g in groups:
            by_pin.setdefault(g.pin, []).append(g)
        for pin, gs in by_pin.items():
            onet = inst.pins.get(pin)
            related = [g for g in gs if g.related and g.related in inst.pins]
            rest = [g for g in gs if g not in related]
            for g in rest:                  # input pins, or groups without a related pin
                out[f"{inst.name}/{g.weight_pin}"] = 0.5 / max(1, len(rest)) \
                    if pin in view.outputs.get(inst.cell, ()) else 0.5
            if not related:
                continue
            o = act.changes.get(onet, np.zeros(0, np.int64)) if onet else np.zeros(0, np.int64)
            if o.size == 0:
                share = np.full(len(related), 1.0 / len(related))
            else:
                hit = np.stack([np.ones(o.size, bool) if g.related in clocks else
                                np.isin(o, act.changes.get(inst.pins[g.related],
                                                           np.zeros(0, np.int64)))
                                for g in related]).astype(float)
                n = hit.sum(axis=0)
                # an output toggle with no related input toggle (none in a zero-delay
                # simulation of a combinational cell) is split evenly
                hit[:, n == 0] = 1.0
                share = (hit / hit.sum(axis=0)).mean(axis=1)
            for g, s in zip(related, share, strict=True):
                out[f"{inst.name}/{g.weight_pin}"] = 0.5 * float(s)
    return out


# ------------------------------------------------------------------ OpenSTA

@dataclass(frozen=True)
class StreamPower:
    """OpenSTA's power of one design on one stream, in mW (design cells only)."""

    stream: str
    cycles: int
    internal_mw: float
    switching_mw: float
    leakage_mw: float
    sequential_mw: float
    combinational_mw: float
    check_switching_mw: float       # recomputed from pin caps and toggle rates
    toggle_rate: float              # mean toggles per net per cycle
    # Not in the figures above (docs/power.md, "What the per-MAC figures exclude"), for scale:
    excluded_clock_mw: float = 0.0      # the clock net: every clock pin's C V^2 a cycle
    excluded_inputs_mw: float = 0.0     # the input nets, charged to the stand-in drivers

    @property
    def power_mw(self) -> float:
        return self.internal_mw + self.switching_mw + self.leakage_mw


@dataclass
class DesignPower:
    key: str
    cells: int
    nets: int
    streams: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    origin: str = ""            # where the netlist came from ("area flow" or "mapped")

    def stream(self, name: str) -> StreamPower:
        return next(s for s in self.streams if s.stream == name)


def _tcl_name(s: str) -> str:
    return "{" + s + "}"


def _sta_script(period: float, loads: float, streams: list[str]) -> str:
    lines = [
        "read_liberty {power.lib}",
        "read_verilog {power_netlist.v}",
        "link_design power_top",
        f"create_clock -name clk -period {period} [get_ports {CLOCK}]",
        f"set_clock_transition {CLOCK_TRANSITION} [get_clocks clk]",
        f"set_load {loads} [all_outputs]",
        "proc a {p x d} { sta::set_power_pin_activity [get_pins $p] $x $d }",
        "set corner [sta::cmd_corner]",
        f"set stim [get_cells {_STIM}*]",
    ]
    for s in streams:
        lines += [
            f"source act_{s}.tcl",
            "set p [sta::design_power $corner]",
            "set si 0.0; set ss 0.0; set sl 0.0",
            "foreach c $stim { lassign [sta::instance_power $c $corner] i sw l t;"
            " set si [expr $si + $i]; set ss [expr $ss + $sw]; set sl [expr $sl + $l] }",
            f"puts \"POWER {s} $p STIM $si $ss $sl\"",
        ]
    return "\n".join(lines) + "\nexit\n"


_POWER = re.compile(r"^POWER (\S+) (.*) STIM (\S+) (\S+) (\S+)$", re.M)


def check_switching(net: Netlist, view: PowerView, act: Activity, period: float,
                    loads: float) -> float:
    """Switching power (mW) from the pin capacitances and toggle rates: ``sum C V^2 a / 2T``.

    ``C`` of a net: the input pins it drives plus ``loads`` per output port
    bit; no wire load (the liberty has none).
    """
    cap: dict[str, float] = {}
    for inst in net.instances:
        ccap = view.caps.get(inst.cell, {})
        for p, n in inst.pins.items():
            if p in ccap:
                cap[n] = cap.get(n, 0.0) + ccap[p]
    for p in net.outputs:
        for b in p.bits():
            cap[b] = cap.get(b, 0.0) + loads
    total = 0.0
    driven = {n for inst in net.instances for p, n in inst.pins.items()
              if p in view.outputs.get(inst.cell, ())}
    for n in driven:
        if n in act.changes:
            total += 0.5 * cap.get(n, 0.0) * view.cap_unit_pf * view.voltage ** 2 \
                * act.activity(n)
    return total / period          # pF * V^2 / ns = mW


def excluded_power(net: Netlist, view: PowerView, act: Activity,
                   period: float) -> tuple[float, float]:
    """``(clock net, input nets)`` switching power (mW) that the figures leave out.

    The clock net charges every clock pin of the design's cells twice a cycle
    (``C V^2 / T``); an input net charges the input pins it drives at its
    measured toggle rate (``C V^2 a / 2T``).  Pin capacitances only, as
    :func:`check_switching`.
    """
    clock_cap, input_cap = 0.0, {}
    inputs = {b for p in net.inputs for b in p.bits() if b != CLOCK}
    for inst in net.instances:
        ccap, clocks = view.caps.get(inst.cell, {}), view.clock_pins.get(inst.cell, set())
        for pin, n in inst.pins.items():
            if pin in clocks and n == CLOCK:
                clock_cap += ccap.get(pin, 0.0)
            elif n in inputs and pin in ccap:
                input_cap[n] = input_cap.get(n, 0.0) + ccap[pin]
    unit = view.cap_unit_pf * view.voltage ** 2
    clock = clock_cap * unit / period
    ins = sum(0.5 * c * unit * act.activity(n) for n, c in input_cap.items()
              if n in act.changes) / period
    return clock, ins


def measure(key: str, netlist_path: Path, models: Path, view: PowerView, liberty_copy: Path,
            stimulus: dict, windows: dict, workdir: Path, period: float = sta.DEFAULT_PERIOD,
            ) -> DesignPower:
    """Simulate a mapped netlist on a stimulus and report OpenSTA's power per window.

    Parameters
    ----------
    stimulus : dict
        Input port -> (cycles, width) 0/1 array for the whole run (every input
        but the clock; hold ``rst`` high in the first cycles).
    windows : dict
        Stream name -> (first cycle, end cycle) inside the run.
    liberty_copy : Path
        ``view.text`` written out (shared by the designs of one run).
    """
    import time
    t0 = time.monotonic()
    net = parse_netlist(netlist_path.read_text())
    workdir.mkdir(parents=True, exist_ok=True)
    vcd = gatesim.simulate(net, netlist_path, models, stimulus, workdir)
    t1 = time.monotonic()
    names = list(windows)
    acts = gatesim.net_activity(vcd, [windows[s] for s in names])
    t2 = time.monotonic()
    text, pins = sta_netlist(net, view)
    (workdir / "power_netlist.v").write_text(text)
    lib = workdir / "power.lib"
    if lib.exists() or lib.is_symlink():
        lib.unlink()
    lib.symlink_to(liberty_copy.resolve())
    fcell, fclk, fd, fq = view.flop
    loads = view.caps[fcell][fd]
    result = DesignPower(key, len(net.instances), len(pins))
    checks, excluded = {}, {}
    for s, act in zip(names, acts, strict=True):
        bad = sorted(act.unknown & set(pins))
        if bad:
            raise ValueError(f"{key}, stream {s}: {len(bad)} nets are x/z inside the window "
                             f"(e.g. {bad[0]}); the stream does not reset every register")
        weights = _weights(net, view, act)
        lines = []
        for n, ps in pins.items():
            if n == CLOCK or n not in act.changes:
                continue
            a, d = act.activity(n), act.duty(n)
            lines += [f"a {_tcl_name(p)} {a:.6g} {d:.6g}" for p in ps]
        lines += [f"a {_tcl_name(p)} 0 {w:.6g}" for p, w in weights.items()]
        (workdir / f"act_{s}.tcl").write_text("\n".join(lines) + "\n")
        checks[s] = check_switching(net, view, act, period, loads)
        excluded[s] = excluded_power(net, view, act, period)
    (workdir / "power.tcl").write_text(_sta_script(period, loads, names))
    proc = subprocess.run([sta.sta_command(), "-no_init", "-no_splash", "-exit", "power.tcl"],
                          cwd=workdir, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    (workdir / "power.log").write_text(out)
    found = {m.group(1): m for m in _POWER.finditer(proc.stdout)}
    if proc.returncode != 0 or "Error" in out or set(found) != set(names):
        cause = next((ln.strip() for ln in out.splitlines() if "Error" in ln),
                     f"exit code {proc.returncode}")
        raise SynthesisError(f"sta (power): {cause} (log {workdir / 'power.log'})")
    for s, act in zip(names, acts, strict=True):
        m = found[s]
        vals = [float(v) for v in m.group(2).split()]
        si, ss, sl = (float(m.group(i)) for i in (3, 4, 5))
        total, seq, comb = vals[0:4], vals[4:8], vals[8:12]
        w_to_mw = 1e3
        design_nets = [n for n in pins if n in act.changes and n != CLOCK]
        rate = float(np.mean([act.activity(n) for n in design_nets])) if design_nets else 0.0
        result.streams.append(StreamPower(
            s, act.cycles, internal_mw=(total[0] - si) * w_to_mw,
            switching_mw=(total[1] - ss) * w_to_mw, leakage_mw=(total[2] - sl) * w_to_mw,
            sequential_mw=(seq[3] - si - ss - sl) * w_to_mw, combinational_mw=comb[3] * w_to_mw,
            check_switching_mw=checks[s], toggle_rate=rate,
            excluded_clock_mw=excluded[s][0], excluded_inputs_mw=excluded[s][1]))
    result.seconds = {"simulate": round(t1 - t0, 2), "vcd": round(t2 - t1, 2),
                      "sta": round(time.monotonic() - t2, 2)}
    return result


# ------------------------------------------------------------------ stimulus helpers

def bits_of(values, width: int) -> np.ndarray:
    """(cycles, lanes) integers (two's complement if negative) -> (cycles, lanes * width) bits.

    Lane 0 in the LSBs, as Amaranth packs an ``ArrayLayout``; a 1-D array is one lane.
    """
    v = np.asarray(values)
    if v.ndim == 1:
        v = v[:, None]
    v = v.astype(np.int64) & ((1 << width) - 1) if width < 63 else v.astype(np.int64)
    shifts = np.arange(width, dtype=np.int64)
    bits = (v[:, :, None] >> shifts) & 1
    return bits.reshape(v.shape[0], -1).astype(np.uint8)


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
    return h.hexdigest()[:16]


def copy_if_changed(src: Path, dst: Path) -> Path:
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        shutil.copyfile(src, dst)
    return dst


# ------------------------------------------------------------------ designs and the run

ROOT = Path(__file__).resolve().parent.parent
#: Where ``make area`` leaves its netlists (reused when their Verilog is current).
AREA_WORKDIR = ROOT / "build" / "synth"


@dataclass(frozen=True)
class EdgeRegister:
    """One register slice of the array edge (a row or column skew lane, a deskew lane).

    Built as :class:`hdl.sa.delay.Delay` of depth 1; its power per bit is what
    one skew or deskew register bit costs on the same data.
    """

    name: str           # "row", "col" or "drain"
    variant: str
    width: int
    kind = "sa_edge"
    macs_per_cycle = None

    @property
    def key(self) -> str:
        return f"sa_edge_{self.name}_{self.variant}"

    @property
    def top(self) -> str:
        from hdl.emit.naming import module_name
        return module_name("sa_edge", self.name, self.variant, f"w{self.width}")

    def build(self):
        from hdl.sa.delay import Delay
        return Delay(width=self.width, depth=1)


@dataclass(frozen=True)
class Job:
    """One design and its whole-run stimulus (see :func:`measure`).

    Either ``stimulus`` and ``windows``, or ``make``: a picklable callable
    returning ``(stimulus, windows)``, called in the worker process (so the
    stimuli of the designs are built in parallel).
    """

    design: object              # synth.designs.Design or EdgeRegister
    stimulus: dict | None = field(default=None, hash=False)
    windows: dict | None = field(default=None, hash=False)
    make: object = field(default=None, hash=False)

    def inputs(self) -> tuple[dict, dict]:
        return self.make() if self.make is not None else (self.stimulus, self.windows)


def netlist_for(design, liberty: Path, workdir: Path, period: float) -> tuple[Path, str]:
    """The mapped netlist of ``design``: the area flow's when current, else mapped here.

    Returns (netlist path, where it came from: ``"area flow"`` or ``"mapped"``).
    """
    from hdl.emit import convert
    from synth.flow import map_design, stage_liberty
    verilog = convert(design.build(), design.top)
    for base, origin in ((AREA_WORKDIR, "area flow"), (workdir / "synth", "mapped")):
        d = base / design.key
        staged = base / liberty.name
        if ((d / "netlist.v").is_file() and (d / "design.v").is_file()
                and (d / "design.v").read_text() == verilog and staged.is_file()
                and staged.read_bytes() == liberty.read_bytes()):
            return d / "netlist.v", origin
    base = workdir / "synth"
    staged = stage_liberty(liberty, base)
    map_design(verilog, design.top, design.key, str(staged), str(base), period)
    return base / design.key / "netlist.v", "mapped"


def _run_job(job: Job, liberty: str, models: str, view_lib: str, workdir: str,
             period: float, keep_vcd: bool):
    import time
    import traceback
    t0 = time.monotonic()
    key = job.design.key
    try:
        view = _view(liberty)
        netlist, origin = netlist_for(job.design, Path(liberty), Path(workdir), period)
        t1 = time.monotonic()
        stimulus, windows = job.inputs()
        t2 = time.monotonic()
        r = measure(key, netlist, Path(models), view, Path(view_lib), stimulus, windows,
                    Path(workdir) / key, period)
        r.seconds = {"netlist": round(t1 - t0, 2), "stimulus": round(t2 - t1, 2), **r.seconds}
        r.origin = origin
        if not keep_vcd:
            (Path(workdir) / key / "activity.vcd").unlink(missing_ok=True)
        return r
    except Exception as e:  # noqa: BLE001  (one design's failure is reported, not fatal)
        trace = Path(workdir) / key / "traceback.txt"
        trace.parent.mkdir(parents=True, exist_ok=True)
        trace.write_text(traceback.format_exc())
        return f"{type(e).__name__}: {e} (traceback {trace})"


_VIEWS: dict = {}


def _view(liberty: str) -> PowerView:
    if liberty not in _VIEWS:
        _VIEWS[liberty] = power_view(Path(liberty).read_text(errors="replace"))
    return _VIEWS[liberty]


def run_designs(jobs: list[Job], liberty: Path, workdir: Path, n_jobs: int = 2,
                period: float = sta.DEFAULT_PERIOD, keep_vcd: bool = False,
                log=None) -> dict:
    """Measure every job in a pool of ``n_jobs`` processes.

    Returns {design key: DesignPower or the error line}.  Progress goes to
    ``log`` (a callable taking a line), one line per design.
    """
    import sys
    import time
    from concurrent.futures import ProcessPoolExecutor, as_completed
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    view = _view(str(liberty))
    if not view.has_power:
        raise ValueError(f"{liberty.name} has no internal_power and no leakage data: "
                         "OpenSTA can only report switching power from it")
    view_lib = workdir / f"{liberty.stem}_power.lib"
    if not view_lib.exists() or view_lib.read_text() != view.text:
        view_lib.write_text(view.text)
    models = gatesim.cell_models(liberty, workdir)
    out, start = {}, time.monotonic()
    with ProcessPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        futures = {pool.submit(_run_job, j, str(liberty), str(models), str(view_lib),
                               str(workdir), period, keep_vcd): j for j in jobs}
        for done, fut in enumerate(as_completed(futures), 1):
            key = futures[fut].design.key
            try:
                r = fut.result()
            except Exception as e:  # noqa: BLE001  (a worker died)
                r = f"worker process: {type(e).__name__}: {e}"
            out[key] = r
            state = (f"{r.streams[0].power_mw:.3f} mW ({r.streams[0].stream})"
                     if isinstance(r, DesignPower) else f"ERROR {r}")
            log(f"[{done}/{len(jobs)}] {key}: {state} ({time.monotonic() - start:.0f} s)")
    return {j.design.key: out[j.design.key] for j in jobs}
