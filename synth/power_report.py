"""Turn power results into reports/power.{md,csv,json} and the energy-versus-area plot.

Energy per MAC = power x clock period / MACs per cycle (dense-equivalent MACs,
``synth.designs.Design.macs_per_cycle``), in pJ.  The 128x128 systolic array
is composed from the module figures as the area report composes its area:
PEs, one TRU per row (SPARQ), plus the edge registers (row and column skew,
drain deskew, the TRU front's weight and control registers) at the per-bit
energy of a register slice fed the same data.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from synth.designs import PRESET_NAMES, SA_VARIANTS
from synth.markdown import fmt as _f
from synth.markdown import table as _table
from synth.power import DesignPower

__all__ = ["records", "array", "write_all", "markdown", "ARRAY"]

ARRAY = 128
STREAM_TITLE = {"real": "real (Fashion-MNIST CNN)", "random": "random codes, same zero share",
                "zero": "zero activations"}
KIND_TITLE = {"sa_pe": "SA PE", "tc_dp": "TC DP unit", "stc_dp": "STC DP unit (2:4)",
              "tru": "TRU", "sa_array": "128x128 SA"}
TITLE = {"8b8b": "8b-8b", "2x4b8b": "2x4b-8b", "sysmt": "SySMT"}
PLOT_KINDS = ("sa_pe", "tc_dp", "stc_dp", "sa_array")


def _title(v: str) -> str:
    return TITLE.get(v, v)


def _areas(area: dict | None) -> dict:
    if not area:
        return {}
    return {d["key"]: d for d in area.get("designs", []) if "area" in d}


def records(jobs, results: dict, period: float, area: dict | None) -> list[dict]:
    """One record per design (not the edge registers) and stream."""
    areas = _areas(area)
    out = []
    for job in jobs:
        d, r = job.design, results.get(job.design.key)
        if d.kind == "sa_edge" or not isinstance(r, DesignPower):
            continue
        macs = d.macs_per_cycle
        a = areas.get(d.key, {}).get("area")
        for s in r.streams:
            pj = s.power_mw * period
            out.append({
                "design": d.key, "kind": d.kind, "variant": d.variant, "stream": s.stream,
                "cycles": s.cycles, "power_mw": s.power_mw, "internal_mw": s.internal_mw,
                "switching_mw": s.switching_mw, "leakage_mw": s.leakage_mw,
                "sequential_mw": s.sequential_mw, "combinational_mw": s.combinational_mw,
                "check_switching_mw": s.check_switching_mw, "toggle_rate": s.toggle_rate,
                "excluded_clock_mw": s.excluded_clock_mw,
                "excluded_inputs_mw": s.excluded_inputs_mw,
                "pj_per_cycle": pj, "macs_per_cycle": macs,
                "pj_per_mac": pj / macs if macs else None,
                "area": a, "area_per_mac": a / macs if a and macs else None,
                "relative_to_8b8b": None})
    base = {(r["kind"], r["stream"]): r["pj_per_mac"] for r in out if r["variant"] == "8b8b"}
    for r in out:
        b = base.get((r["kind"], r["stream"]))
        if b and r["pj_per_mac"] is not None:
            r["relative_to_8b8b"] = r["pj_per_mac"] / b
    return out


def array(jobs, results: dict, period: float, area: dict | None) -> list[dict]:
    """The 128x128 SA per variant and stream, from the PE, TRU and edge-register figures."""
    keyed = {j.design.key: (j.design, results.get(j.design.key)) for j in jobs}
    tri = ARRAY * (ARRAY - 1) // 2               # sum of the skew depths 0..127
    area_rows = (area or {}).get("analysis", {}).get("array", {})
    out = []
    for v in SA_VARIANTS:
        pe = keyed.get(f"sa_pe_{v}", (None, None))
        edges = {lane: keyed.get(f"sa_edge_{lane}_{v}", (None, None))
                 for lane in ("row", "col", "drain")}
        tru = keyed.get(f"tru_{v}", (None, None)) if v in PRESET_NAMES else (None, "none")
        parts = [pe, *edges.values()] + ([tru] if v in PRESET_NAMES else [])
        if any(not isinstance(r, DesignPower) for _, r in parts):
            continue
        design, pres = pe
        for s in (x.stream for x in pres.streams):
            pj = {k: res.stream(s).power_mw * period for k, (_, res) in
                  {"pe": pe, **edges, **({"tru": tru} if v in PRESET_NAMES else {})}.items()}
            per_bit = {lane: pj[lane] / edges[lane][0].width for lane in edges}
            bits = {"row": tri * edges["row"][0].width, "col": tri * edges["col"][0].width,
                    "drain": tri * edges["drain"][0].width}
            # the TRU front registers the weights and the control for one cycle
            front = (ARRAY * edges["col"][0].width + 3) if v in PRESET_NAMES else 0
            parts_pj = {"pes": ARRAY * ARRAY * pj["pe"],
                        "trus": ARRAY * pj.get("tru", 0.0),
                        "row skew": bits["row"] * per_bit["row"],
                        "column skew": bits["col"] * per_bit["col"] + front * per_bit["col"],
                        "drain deskew": bits["drain"] * per_bit["drain"]}
            total = sum(parts_pj.values())
            macs = ARRAY * ARRAY * design.macs_per_cycle
            arow = area_rows.get(v, {})
            out.append({"design": f"sa_array_{v}", "kind": "sa_array", "variant": v,
                        "stream": s, "pj_per_cycle": total, "macs_per_cycle": macs,
                        "pj_per_mac": total / macs, "power_mw": total / period,
                        "parts_pj_per_cycle": parts_pj,
                        "shares": {k: p / total for k, p in parts_pj.items()},
                        "area_per_mac": arow.get("area_per_mac"), "relative_to_8b8b": None})
    base = {r["stream"]: r["pj_per_mac"] for r in out if r["variant"] == "8b8b"}
    for r in out:
        if r["stream"] in base:
            r["relative_to_8b8b"] = r["pj_per_mac"] / base[r["stream"]]
    return out


# ------------------------------------------------------------------ formatting





def _by(recs):
    return {(r["design"], r["stream"]): r for r in recs}


def _energy_table(recs, kind, streams):
    idx = _by(recs)
    designs = list(dict.fromkeys(r["design"] for r in recs if r["kind"] == kind))
    header = ["variant"] + [f"pJ/MAC {s}" for s in streams] + [f"vs 8b-8b {s}" for s in streams]
    rows = []
    for d in designs:
        v = next(r["variant"] for r in recs if r["design"] == d)
        row = [_title(v)]
        row += [_f(idx.get((d, s), {}).get("pj_per_mac"), "{:.3f}") for s in streams]
        row += [_f(idx.get((d, s), {}).get("relative_to_8b8b")) for s in streams]
        rows.append(row)
    return _table(header, rows)


def _tru_table(recs, arr, streams):
    idx = _by(recs)
    rows = []
    for p in PRESET_NAMES:
        if (f"tru_{p}", streams[0]) not in idx:
            continue
        row = [p] + [_f(idx[(f"tru_{p}", s)]["pj_per_cycle"], "{:.3f}") for s in streams]
        a = next((r for r in arr if r["variant"] == p and r["stream"] == "real"), None)
        row.append(_f(a["shares"]["trus"] if a else None, "{:.2%}"))
        rows.append(row)
    return _table(["preset"] + [f"pJ/cycle {s}" for s in streams] + ["share of the array (real)"],
                  rows)


def _array_table(arr, streams):
    idx = {(r["variant"], r["stream"]): r for r in arr}
    rows = []
    for v in dict.fromkeys(r["variant"] for r in arr):
        row = [_title(v)] + [_f(idx.get((v, s), {}).get("pj_per_mac"), "{:.3f}") for s in streams]
        row += [_f(idx.get((v, s), {}).get("relative_to_8b8b")) for s in streams]
        real = idx.get((v, "real"))
        row += [", ".join(f"{k} {x:.1%}" for k, x in real["shares"].items()) if real else "-"]
        rows.append(row)
    return _table(["array"] + [f"pJ/MAC {s}" for s in streams]
                  + [f"vs 8b-8b {s}" for s in streams] + ["shares (real)"], rows)


def _headline_table(arr, streams):
    """Energy per MAC beside area per MAC, the 128x128 array, relative to 8b-8b."""
    idx = {(r["variant"], r["stream"]): r for r in arr}
    base_area = idx.get(("8b8b", "real"), {}).get("area_per_mac")
    rows = []
    for v in dict.fromkeys(r["variant"] for r in arr):
        real = idx.get((v, "real"), {})
        a = real.get("area_per_mac")
        row = [_title(v), _f(a / base_area if a and base_area else None),
               _f(real.get("pj_per_mac"), "{:.2f}")]
        row += [_f(idx.get((v, s), {}).get("relative_to_8b8b")) for s in streams]
        rows.append(row)
    return _table(["array", "area per MAC vs 8b-8b", "pJ/MAC (real)"]
                  + [f"energy per MAC vs 8b-8b, {s}" for s in streams], rows)


def _breakdown_table(recs):
    rows = []
    for r in recs:
        if r["stream"] != "real":
            continue
        p = r["power_mw"] or 1e-30
        rows.append([r["design"], _f(r["power_mw"], "{:.3f}"),
                     f"{r['internal_mw'] / p:.0%}", f"{r['switching_mw'] / p:.0%}",
                     f"{r['leakage_mw'] / p:.2%}", f"{r['sequential_mw'] / p:.0%}",
                     _f(r["toggle_rate"], "{:.3f}"),
                     f"{abs(r['check_switching_mw'] / (r['switching_mw'] or 1e-30) - 1):.2%}",
                     _excluded(r, "excluded_clock_mw"), _excluded(r, "excluded_inputs_mw")])
    return _table(["design", "power (mW)", "internal", "switching", "leakage", "registers",
                   "toggles/net/cycle", "switching check error", "clock net (excluded)",
                   "input nets (excluded)"], rows)


def _excluded(r, key) -> str:
    """An excluded part as a share of what the figures count (docs/power.md)."""
    v = r.get(key)
    return "-" if v is None else f"+{v / (r['power_mw'] or 1e-30):.1%}"


def _failures(results) -> str:
    bad = [f"- `{k}`: {r}" for k, r in results.items() if isinstance(r, str)]
    return "\n".join(bad) or "- none"


def _times(jobs, results) -> str:
    rows = []
    for j in jobs:
        r = results.get(j.design.key)
        if isinstance(r, DesignPower):
            rows.append([j.design.key, r.cells, r.origin,
                         " / ".join(f"{k} {v:.1f}" for k, v in r.seconds.items())])
    return _table(["design", "cells", "netlist", "seconds"], rows)


def markdown(meta, recs, arr, jobs, results, figure: bool) -> str:
    streams = [s for s in ("real", "random", "zero") if any(r["stream"] == s for r in recs)]
    m = meta
    stats = m.get("stream_stats", {})
    zero = ", ".join(f"{k.split('/', 1)[1]} {v['act_zero_share']:.0%}"
                     for k, v in stats.items() if k.startswith("real/"))
    image = "![energy per MAC against area per MAC](power.png)" if figure else "(no figure)"
    power_note = ("" if m.get("has_internal", True) else
                  f"\n**{m['library']} has no internal_power tables: only switching (and "
                  "leakage) power is reported.**\n")
    return f"""# Energy per MAC of the SPARQ units, from simulated switching activity

Generated by `make power` (`{m['command']}`); do not edit by hand.  How the flow works:
[docs/power.md](../docs/power.md).
{power_note}
## Assumptions

- Library `{m['library']}` (`{m['liberty']}`), {m['voltage']:g} V, typical corner; the mapped
  netlists of the area flow (Yosys, `synth` + `dfflibmap` + `abc`; re-mapped here when the
  area flow's Verilog is stale).
- Clock {m['period']:g} ns ({1e3 / m['period']:.0f} MHz) for every design; ideal clock with a
  {m['clock_transition']:g} ns transition at the registers; clock tree not modelled.
- Activity: zero-delay gate-level simulation (`{m.get('iverilog', '')}`, cell models
  `{m['models']}`), {m['reset_cycles']} reset cycles, then the three streams back to back,
  {m['cycles']} cycles each; VCD of every net; toggles and duty per net per stream window
  annotated on every cell pin; OpenSTA {m['sta']} (Debian's 2019 snapshot) `report_power` (its
  `design_power`),
  internal + switching + leakage.  No glitches (zero delay), no wire capacitance (the liberty
  has no wire-load model).  Every design input is driven by a library register (the
  neighbour's register in the array) and every output loads one register input; their power
  is not counted.  Internal energy of a toggle: mean of the rise and fall tables, split over
  the input arcs that toggled in the same cycle (docs/power.md explains the liberty `when`
  pins that make the 2019 OpenSTA do that).
- Streams: **real** = im2col rows of `conv2` and `conv3` of the A8W8 Fashion-MNIST CNN on
  {m['images']} test images (activation zero share: {zero}), tiles of one output (row `m`
  of A against column `n` of W over the whole K) drawn at random, half from each layer;
  SPARQ PEs and DP units get `golden.sparq.encode` pair words, SySMT and the TRUs raw pairs,
  2x4b-8b the uniform A4 codes of the same model quantized to 4-bit activations
  (`scale = range / 15`), the 2:4 units the 2:4-pruned model's layers as compressed
  values and positions; **random** = uniform random activation and weight codes with the
  real stream's zero share per layer (2:4 pattern kept); **zero** = zero activations with
  the real weights.  SA PEs: one tile after another (`first`/`last` in the control), the PE
  sits in row {m['drain_row']} of a {m['array_rows']}-row column and shifts the results of the
  rows below up its drain link after each tile; DP units get the running partial sum as `c`.
- Energy per MAC = power x period / MACs per cycle (dense-equivalent: 8b-8b 1 per SA PE,
  4 per TC DP unit, the others 2 and 8; 2:4 units twice their DP unit), pJ.
- 128x128 SA: 16384 PEs + 128 TRUs (SPARQ) + the skew and deskew registers (8128 lane-bits
  of each kind: row lanes of word + control, column lanes of weights, drain lanes of
  results) and the TRU front's weight and control registers, each register bit at the energy
  of a register slice fed the same data.  Left out: clock tree, SRAM and operand
  buffers, wires between PEs, the drain counter, idle cycles.

## Energy and area per MAC (128x128 SA)

Energy per MAC/cycle of the whole array (PEs, TRUs, skew and deskew registers) next to the
area report's area per MAC/cycle, both relative to 8b-8b; streams as above.

{_headline_table(arr, streams)}

## SA PE

{_energy_table(recs, "sa_pe", streams)}

## 128x128 systolic array (module figures x counts)

{_array_table(arr, streams)}

## TC dot-product unit

{_energy_table(recs, "tc_dp", streams)}

## Sparse TC dot-product unit (2:4 weights, TRUs inside)

{_energy_table(recs, "stc_dp", streams)}

## Trim-and-round unit (one a row of the SA)

{_tru_table(recs, arr, streams)}

## Energy per MAC against area per MAC

Filled: real stream; hollow: random codes; area per MAC from `reports/area.json` (the
array's from its PEs and TRUs).

{image}

## Power breakdown (real stream)

The last two columns are not in any figure of this report (docs/power.md, "What the per-MAC
figures exclude"): the clock net's own switching (every clock pin of the unit charged twice a
cycle) and the switching of the unit's input nets (charged to the stand-in drivers), each as
a share of the unit's counted power, from the same pin capacitances and measured toggles.

{_breakdown_table(recs)}

## Designs not measured

{_failures(results)}

## Run time

Streams {m['seconds_streams']:.0f} s; designs in {m['jobs']} processes; total
{m['seconds_total']:.0f} s.

{_times(jobs, results)}
"""


def plot(recs, arr, path: Path) -> bool:
    pts = [r for r in recs + arr if r["kind"] in PLOT_KINDS and r["area_per_mac"]
           and r["stream"] in ("real", "random")]
    if not pts:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    kinds = [k for k in PLOT_KINDS if any(r["kind"] == k for r in pts)]
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.6 * len(kinds), 4.4), squeeze=False)
    colors = plt.get_cmap("tab10").colors
    for ax, kind in zip(axes[0], kinds, strict=True):
        variants = list(dict.fromkeys(r["variant"] for r in pts if r["kind"] == kind))
        for i, v in enumerate(variants):
            for s, face in (("real", colors[i % 10]), ("random", "none")):
                r = next((r for r in pts if r["kind"] == kind and r["variant"] == v
                          and r["stream"] == s), None)
                if r is None:
                    continue
                ax.scatter(r["area_per_mac"], r["pj_per_mac"], s=40, marker="o",
                           facecolors=face, edgecolors=colors[i % 10],
                           label=_title(v) if s == "real" else None)
                if s == "real":
                    ax.annotate(_title(v), (r["area_per_mac"], r["pj_per_mac"]), fontsize=7,
                                xytext=(3, 3), textcoords="offset points")
        ax.set_title(KIND_TITLE[kind])
        ax.set_xlabel("area per MAC/cycle (um^2)")
        ax.set_ylabel("energy per MAC (pJ)")
        ax.grid(alpha=0.3)
    fig.suptitle("Energy per MAC (filled: real stream, hollow: random codes) vs area per MAC")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return True


def _csv(recs) -> str:
    fields = ["design", "kind", "variant", "stream", "power_mw", "pj_per_cycle", "macs_per_cycle",
              "pj_per_mac", "relative_to_8b8b", "internal_mw", "switching_mw", "leakage_mw",
              "sequential_mw", "combinational_mw", "check_switching_mw", "toggle_rate", "area",
              "area_per_mac", "cycles"]
    out = io.StringIO()
    w = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in recs:
        w.writerow(r)
    return out.getvalue()


def write_all(jobs, results: dict, meta: dict, area: dict | None, out: Path) -> list[Path]:
    """Write power.md, power.csv, power.json and power.png into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    recs = records(jobs, results, meta["period"], area)
    arr = array(jobs, results, meta["period"], area)
    png = out / "power.png"
    drawn = plot(recs, arr, png)
    if not drawn:
        png.unlink(missing_ok=True)
    edges = [{"design": j.design.key, "lane": j.design.name, "variant": j.design.variant,
              "width": j.design.width, "stream": s.stream, "power_mw": s.power_mw,
              "pj_per_bit_cycle": s.power_mw * meta["period"] / j.design.width}
             for j in jobs if j.design.kind == "sa_edge"
             and isinstance(results.get(j.design.key), DesignPower)
             for s in results[j.design.key].streams]
    designs = {k: {"cells": r.cells, "nets": r.nets, "netlist": r.origin, "seconds": r.seconds}
               for k, r in results.items() if isinstance(r, DesignPower)}
    failures = {k: r for k, r in results.items() if isinstance(r, str)}
    files = {
        out / "power.md": markdown(meta, recs, arr, jobs, results, drawn),
        out / "power.csv": _csv(recs + arr),
        out / "power.json": json.dumps({"meta": meta, "records": recs + arr, "edges": edges,
                                        "designs": designs, "failures": failures},
                                       indent=1, sort_keys=True) + "\n",
    }
    for path, text in files.items():
        path.write_text(text)
    return [*files, *([png] if drawn else [])]


def save_run(path: Path, jobs, results: dict, meta: dict) -> None:
    """Keep what :func:`write_all` needs (designs and results, no stimuli) for a re-run."""
    import pickle
    designs = [j.design for j in jobs]
    path.write_bytes(pickle.dumps({"designs": designs, "results": results, "meta": meta}))


def load_run(path: Path):
    """(jobs, results, meta) saved by :func:`save_run`; the jobs carry no stimuli."""
    import pickle

    from synth.power import Job
    blob = pickle.loads(path.read_bytes())
    return [Job(d) for d in blob["designs"]], blob["results"], blob["meta"]
