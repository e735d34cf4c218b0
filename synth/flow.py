"""Synthesize one design: emit Verilog, map it with Yosys, time it with OpenSTA.

:func:`synthesize` runs in a worker process and returns a plain dict (see
:class:`Result`), so results pickle and go straight into the JSON report.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from synth import sta, yosys
from synth.designs import CATEGORIES, Design, category_of, module_classes
from synth.liberty import Liberty, parse

__all__ = ["stage_liberty", "map_design", "synthesize", "breakdown"]


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
    yosys.run(ys, workdir, out / "yosys.log")
    flat = yosys.parse_stat((out / "flat.json").read_text(), lib)[top]
    hier = yosys.parse_stat((out / "hier.json").read_text(), lib)
    netlist = out / "netlist.v"
    tcl = out / "sta.tcl"
    tcl.write_text(sta.script(liberty=Path(liberty).resolve(), netlist=netlist.resolve(),
                              top=top, lib=lib, period=period,
                              has_clock="input clk;" in netlist.read_text()))
    return flat, hier, sta.run(tcl, out / "sta.log", period)


def synthesize(design: Design, liberty: str, workdir: str, period: float = sta.DEFAULT_PERIOD,
               booth: bool = False) -> dict:
    """Area (flat and by category) and critical-path delay of one design.

    ``liberty`` must already be staged inside ``workdir``.  A design whose
    package or variant is not available comes back with ``missing`` set.
    """
    lib = _liberty(liberty)
    result = {"key": design.key, "kind": design.kind, "variant": design.variant,
              "top": design.top, "macs_per_cycle": design.macs_per_cycle}
    try:
        component = design.build()
    except (ImportError, AttributeError, ValueError, TypeError) as e:
        return dict(result, missing=f"{type(e).__name__}: {e}")
    from hdl.generate import convert
    classes = module_classes(component, design.top)
    flat, hier, timing = map_design(convert(component, design.top), design.top, design.key,
                                    liberty, workdir, period, booth)
    area = flat.area(lib)
    return dict(result, area=area, area_nand2=area / lib.nand2_area,
                sequential_area=flat.sequential_area(lib), cells=sum(flat.cells.values()),
                hier_area=yosys.hierarchy_areas(hier, lib)[design.top],
                breakdown=breakdown(hier, classes, lib), delay=timing.delay,
                slack=timing.slack, startpoint=timing.startpoint, endpoint=timing.endpoint)
