"""OpenSTA on a mapped netlist: the same clock constraint for every design.

Constraint (identical for all designs): one clock of ``period`` on ``clk``
(a virtual clock for a purely combinational design); every other input is
driven by the library's NAND2 reference cell and arrives at the clock edge
(input delay 0); every output is required by the next edge (output delay 0).
So registered designs are timed register-to-register plus the port paths
into the first and out of the last register, and combinational designs
port-to-port.  The critical-path delay is ``period - worst slack``: the data
arrival time of the worst path plus the capturing register's setup time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from synth.liberty import Liberty
from synth.yosys import SynthesisError, ToolMissing

__all__ = ["DEFAULT_PERIOD", "Timing", "sta_command", "script", "parse_report", "run"]

#: Clock period for every design, in the library's time unit (ns for OSU018).
DEFAULT_PERIOD = 10.0


@dataclass(frozen=True)
class Timing:
    """The worst max-delay path."""

    delay: float
    slack: float
    arrival: float
    startpoint: str
    endpoint: str


def sta_command() -> str:
    found = shutil.which("sta")
    if found is None:
        raise ToolMissing("OpenSTA ('sta') not found: install the Debian package 'opensta' "
                          "(make setup)")
    return found


def script(*, liberty: Path, netlist: Path, top: str, lib: Liberty, period: float,
           has_clock: bool) -> str:
    clock = (f"create_clock -name clk -period {period} [get_ports clk]" if has_clock
             else f"create_clock -name clk -period {period}")
    inputs = "[delete_from_list [all_inputs] [get_ports clk]]" if has_clock else "[all_inputs]"
    return "\n".join([
        f"read_liberty {{{liberty}}}",
        f"read_verilog {{{netlist}}}",
        f"link_design {top}",
        clock,
        f"set_input_delay 0 -clock clk {inputs}",
        "set_output_delay 0 -clock clk [all_outputs]",
        f"set_driving_cell -lib_cell {lib.nand2} {inputs}",
        "report_checks -path_delay max -digits 4",
        "exit",
    ]) + "\n"


_FIELD = {
    "startpoint": re.compile(r"^Startpoint:\s*(.+?)\s*$", re.M),
    "endpoint": re.compile(r"^Endpoint:\s*(.+?)\s*$", re.M),
    "arrival": re.compile(r"^\s*(-?[0-9.]+)\s+data arrival time\s*$", re.M),
    "slack": re.compile(r"^\s*(-?[0-9.]+)\s+slack \((?:MET|VIOLATED)\)\s*$", re.M),
}


def parse_report(text: str, period: float) -> Timing:
    """The worst path of a ``report_checks -path_delay max`` report."""
    found = {key: rx.search(text) for key, rx in _FIELD.items()}
    missing = [key for key, m in found.items() if m is None]
    if missing:
        first = text.strip().splitlines()[:2]
        raise ValueError(f"no timing path in the sta report (missing {', '.join(missing)}): "
                         f"{' / '.join(first) or 'empty output'}")
    slack, arrival = float(found["slack"].group(1)), float(found["arrival"].group(1))
    return Timing(delay=round(period - slack, 4), slack=slack, arrival=arrival,
                  startpoint=found["startpoint"].group(1), endpoint=found["endpoint"].group(1))


def run(tcl: Path, log: Path, period: float) -> Timing:
    """Time a netlist; a failure is one :class:`SynthesisError` line naming the log."""
    proc = subprocess.run([sta_command(), "-no_init", "-no_splash", "-exit", str(tcl)],
                          capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    log.write_text(text)
    if proc.returncode != 0 or "Error" in text:
        lines = text.strip().splitlines()
        cause = next((line.strip() for line in lines if "Error" in line),
                     " / ".join(lines[-3:]) or f"exit code {proc.returncode}")
        raise SynthesisError(f"sta: {cause} (log {log})")
    return parse_report(proc.stdout, period)
