"""Synthesize one design: emit Verilog, map it with Yosys, time it with OpenSTA.

:func:`synthesize` runs in a worker process and returns a frozen record, a
:class:`Result` or a :class:`Failure`; both pickle across the process pool,
and :meth:`Result.as_dict` / :meth:`Failure.as_dict` give the design records
of ``reports/area.json``.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from synth import sta, yosys
from synth.designs import CATEGORIES, Design, category_of, module_classes
from synth.liberty import Liberty, parse

__all__ = ["Result", "Failure", "Record", "stage_liberty", "map_design", "synthesize",
           "breakdown"]


@dataclass(frozen=True)
class Result:
    """One synthesized and timed design.

    Attributes
    ----------
    key, kind, variant, top : str
        As :class:`synth.designs.Design` names them.
    macs_per_cycle : int or None
        Dense-equivalent MACs a cycle (None for TRUs and blocks).
    area : float
        Flat area, in the liberty's area unit.
    area_nand2 : float
        ``area`` over the NAND2 reference cell's area.
    sequential_area : float
        The flip-flops' share of ``area`` (same unit).
    cells : int
        Library cells of the flat netlist.
    hier_area : float
        Total area of the hierarchical synthesis (what ``breakdown`` adds up to).
    breakdown : dict of str to float
        Hierarchical area by category of :data:`synth.designs.CATEGORIES`.
    delay, slack : float
        Critical-path delay (period - worst slack) and worst slack, in library time units.
    startpoint, endpoint : str
        The critical path's ends, as OpenSTA names them.
    """

    key: str
    kind: str
    variant: str
    top: str
    macs_per_cycle: int | None
    area: float
    area_nand2: float
    sequential_area: float
    cells: int
    hier_area: float
    # A dict cannot be hashed; the record is still frozen (no field can be rebound).
    breakdown: dict = field(hash=False)
    delay: float
    slack: float
    startpoint: str
    endpoint: str

    ok = True

    def as_dict(self) -> dict:
        """The JSON design record: every field under its own name."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Failure:
    """A design that was not synthesized.

    Attributes
    ----------
    key, kind, variant, top : str
    macs_per_cycle : int or None
    reason : str
        One line: what failed and why (names the log when a tool failed).
    missing : bool
        True when the design's package is not available (nothing was tried),
        False when building, synthesizing or timing it failed.
    """

    key: str
    kind: str
    variant: str
    top: str
    macs_per_cycle: int | None
    reason: str
    missing: bool = False

    ok = False

    @classmethod
    def of(cls, design, reason: str, missing: bool = False) -> Failure:
        return cls(design.key, design.kind, design.variant, design.top, design.macs_per_cycle,
                   reason, missing)

    @property
    def status(self) -> str:
        """``"missing"`` or ``"error"``: the JSON key that holds the reason."""
        return "missing" if self.missing else "error"

    def as_dict(self) -> dict:
        """The JSON design record, with the reason under ``"missing"`` or ``"error"``."""
        return {"key": self.key, "kind": self.kind, "variant": self.variant, "top": self.top,
                "macs_per_cycle": self.macs_per_cycle, self.status: self.reason}


#: What :func:`synthesize` returns.
Record = Result | Failure


@functools.lru_cache(maxsize=4)
def _liberty(path: str) -> Liberty:
    return parse(path)


def stage_liberty(liberty: Path, workdir: Path) -> Path:
    """Copy the liberty into Yosys's working directory (it sees nothing outside it)."""
    workdir.mkdir(parents=True, exist_ok=True)
    staged = workdir / liberty.name
    if not staged.exists() or staged.read_bytes() != liberty.read_bytes():
        shutil.copyfile(liberty, staged)
    return staged


def breakdown(stats: dict, classes: dict, lib: Liberty) -> dict[str, float]:
    """Area by category over the whole hierarchy (module areas times instance counts)."""
    counts: dict[str, int] = {}

    def count(name, times):
        counts[name] = counts.get(name, 0) + times
        for sub, n in stats[name].submodules.items():
            count(sub, times * n)

    top = [n for n in stats if not any(n in s.submodules for s in stats.values())]
    for name in top:
        count(name, 1)
    areas = dict.fromkeys(CATEGORIES, 0.0)
    for name, times in counts.items():
        stat = stats[name]
        seq = stat.sequential_area(lib)
        areas["registers"] += times * seq
        areas[category_of(name, classes)] += times * (stat.area(lib) - seq)
    return areas


def map_design(verilog: str, top: str, key: str, liberty: str, workdir: str,
               period: float = sta.DEFAULT_PERIOD, booth: bool = False):
    """Map Verilog text with Yosys and time it: (flat ModuleStat, hierarchy stats, Timing).

    Files go to ``workdir/key``; ``liberty`` must already be staged in ``workdir``.

    Raises
    ------
    synth.yosys.SynthesisError
        Yosys or OpenSTA failed (one line: the cause and the log).
    ValueError
        The mapped netlist has cells outside the liberty, or no timing path.
    """
    lib, workdir = _liberty(liberty), Path(workdir)
    out = workdir / key
    out.mkdir(parents=True, exist_ok=True)
    (out / "design.v").write_text(verilog)
    rel = {name: f"{key}/{name}" for name in ("design.v", "flat.json", "hier.json", "netlist.v")}
    ys = out / "synth.ys"
    ys.write_text(yosys.script(verilog=rel["design.v"], top=top, liberty=Path(liberty).name,
                               flat_stat=rel["flat.json"], hier_stat=rel["hier.json"],
                               netlist=rel["netlist.v"], booth=booth))
    yosys.run(ys, workdir, out / "yosys.log", lib)
    flat = yosys.parse_stat((out / "flat.json").read_text(), lib)[top]
    hier = yosys.parse_stat((out / "hier.json").read_text(), lib)
    netlist = out / "netlist.v"
    tcl = out / "sta.tcl"
    tcl.write_text(sta.script(liberty=Path(liberty).resolve(), netlist=netlist.resolve(),
                              top=top, lib=lib, period=period,
                              has_clock="input clk;" in netlist.read_text()))
    return flat, hier, sta.run(tcl, out / "sta.log", period)


def synthesize(design: Design, liberty: str, workdir: str, period: float = sta.DEFAULT_PERIOD,
               booth: bool = False) -> Record:
    """Area (flat and by category) and critical-path delay of one design.

    ``liberty`` must already be staged inside ``workdir``.  A design whose
    package is not importable comes back as a missing :class:`Failure`; one
    that cannot be built, mapped or timed as a :class:`Failure` whose reason
    names the stage.
    """
    lib = _liberty(liberty)
    try:
        component = design.build()
    except ImportError as e:
        return Failure.of(design, f"{type(e).__name__}: {e}", missing=True)
    except (AttributeError, ValueError, TypeError) as e:
        # A bad parameter or a variant the package lacks: an error, not an absent package.
        return Failure.of(design, f"build: {type(e).__name__}: {e}")
    from hdl.emit import convert
    classes = module_classes(component, design.top)
    try:
        flat, hier, timing = map_design(convert(component, design.top), design.top, design.key,
                                        liberty, workdir, period, booth)
    except yosys.SynthesisError as e:
        return Failure.of(design, str(e))
    except (ValueError, OSError) as e:
        return Failure.of(design, f"{type(e).__name__}: {e}")
    area = flat.area(lib)
    return Result(design.key, design.kind, design.variant, design.top, design.macs_per_cycle,
                  area=area, area_nand2=area / lib.nand2_area,
                  sequential_area=flat.sequential_area(lib), cells=sum(flat.cells.values()),
                  hier_area=yosys.hierarchy_areas(hier, lib)[design.top],
                  breakdown=breakdown(hier, classes, lib), delay=timing.delay,
                  slack=timing.slack, startpoint=timing.startpoint, endpoint=timing.endpoint)
