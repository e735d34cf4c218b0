"""Turn synthesis results into reports/area.{md,csv,json} and the breakdown PNG.

:func:`analyze` derives every table from the per-design records
(:class:`synth.flow.Result` and :class:`synth.flow.Failure`); the writers only
format it.  The report states measured facts; what they suggest for the design
is discussed in docs/area.md, which points back at the report's sections.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from synth.designs import CATEGORIES, PRESET_NAMES, SA_VARIANTS, STC_VARIANTS, TC_VARIANTS
from synth.flow import Record, Result
from synth.markdown import fmt as _f
from synth.markdown import table as _table
from synth.paper import TABLE3, TARGETS, TRU_OF_TC_DP

__all__ = ["analyze", "markdown", "plot", "write_all", "ARRAY_SIZE", "DISCUSSION"]

#: The full systolic array of the paper's SA use case.
ARRAY_SIZE = 128
KIND_TITLE = {"sa_pe": "SA PE", "tc_dp": "TC PE (DP unit)", "stc_dp": "STC DP unit (2:4)",
              "tru": "TRU", "block": "block"}
COLUMN_TITLE = {"8b8b": "8b-8b", "2x4b8b": "2x4b-8b", "sysmt": "SySMT"}
#: Where the design discussion lives (relative to reports/).
DISCUSSION = "../docs/area.md#closing-the-gaps"
#: Kinds drawn in the breakdown figure, one panel each.
PLOT_KINDS = ("sa_pe", "tc_dp", "stc_dp", "tru")


def _title(variant: str) -> str:
    return COLUMN_TITLE.get(variant, variant)


def _ok(results: dict[str, Record], kind: str, variant: str) -> Result | None:
    """The synthesized design ``kind_variant``, or None (not run, failed or missing)."""
    r = results.get(f"{kind}_{variant}")
    return r if r is not None and r.ok else None


def _relative(results, kind, variants):
    base = _ok(results, kind, "8b8b")
    rows = {}
    for v in variants:
        r = _ok(results, kind, v)
        rows[v] = {"ours": r.area / base.area if r and base else None,
                   "paper": TABLE3[kind].get(v),
                   "delay": r.delay / base.delay if r and base else None}
    return rows


def _targets(table):
    """Issue 5's targets, each with the measured value and the margin."""
    out = []
    for kind in ("sa_pe", "tc_dp"):
        name = KIND_TITLE[kind]
        for v, row in table[kind].items():
            if v in PRESET_NAMES and row["paper"] is not None:
                out.append(_target(kind, v, f"{name} {v} area <= paper", row["ours"],
                                   row["paper"]))
            if v == "2x4b8b":
                out.append(_target(kind, v, f"{name} 2x4b-8b area <= "
                                   f"{TARGETS['reference_area']:.2f} x 8b-8b", row["ours"],
                                   TARGETS["reference_area"]))
            if v in PRESET_NAMES:
                out.append(_target(kind, v, f"{name} {v} critical path <= "
                                   f"{TARGETS['sparq_delay']:.2f} x 8b-8b", row["delay"],
                                   TARGETS["sparq_delay"]))
    return out


def _target(kind, variant, name, measured, limit):
    t = {"kind": kind, "variant": variant, "target": name, "measured": measured,
         "limit": limit, "met": None}
    if measured is not None:
        t.update(met=measured <= limit + 5e-4, excess=measured / limit - 1)
    return t


def _array(results):
    """The 128x128 SA from module areas times counts: PEs, plus one TRU per row for SPARQ."""
    rows = {}
    for v in SA_VARIANTS:
        pe = _ok(results, "sa_pe", v)
        tru = _ok(results, "tru", v) if v in PRESET_NAMES else None
        if pe is None or (v in PRESET_NAMES and tru is None):
            continue
        pes, trus = ARRAY_SIZE * ARRAY_SIZE, ARRAY_SIZE if tru else 0
        tru_area = trus * (tru.area if tru else 0)
        area = pes * pe.area + tru_area
        macs = pes * pe.macs_per_cycle
        rows[v] = {"pes": pes, "trus": trus, "area": area, "tru_share": tru_area / area,
                   "macs_per_cycle": macs, "area_per_mac": area / macs,
                   "delay": max(pe.delay, tru.delay if tru else 0)}
    if "8b8b" in rows:
        ref = rows["8b8b"]
        for row in rows.values():
            row["area_per_mac_rel"] = row["area_per_mac"] / ref["area_per_mac"]
            # Per unit of throughput in time: cycles get longer with the critical path.
            row["area_time_per_mac_rel"] = row["area_per_mac_rel"] * row["delay"] / ref["delay"]
    return rows


def _tru(results):
    dp = _ok(results, "tc_dp", "8b8b")
    rows = {}
    for p in PRESET_NAMES:
        t = _ok(results, "tru", p)
        if t:
            rows[p] = {"area": t.area, "area_nand2": t.area_nand2, "delay": t.delay,
                       "of_tc_dp": t.area / dp.area if dp else None,
                       "paper": TRU_OF_TC_DP.get(p)}
    return rows


def _stc(results):
    """Sparse TC units against the 8b-8b one; the share of their per-unit TRUs."""
    base = _ok(results, "stc_dp", "8b8b")
    rows = {}
    for v in STC_VARIANTS:
        r = _ok(results, "stc_dp", v)
        if r:
            bd = r.breakdown
            rows[v] = {"area_nand2": r.area_nand2, "delay": r.delay,
                       "rel_area": r.area / base.area if base else None,
                       "rel_delay": r.delay / base.delay if base else None,
                       "tru_share": bd.get("trim and round", 0) / r.hier_area,
                       "select_share": bd.get("sparse selection", 0) / r.hier_area}
    return rows


def analyze(results: list[Record]) -> dict:
    """Every derived table, as plain data (it goes into area.json as ``analysis``)."""
    by_key = {r.key: r for r in results}
    table = {"sa_pe": _relative(by_key, "sa_pe", SA_VARIANTS),
             "tc_dp": _relative(by_key, "tc_dp", TC_VARIANTS)}
    failed = [r for r in results if not r.ok]
    return {"table3": table, "targets": _targets(table), "tru": _tru(by_key),
            "array": _array(by_key), "stc": _stc(by_key),
            "missing": {r.key: r.reason for r in failed if r.missing},
            "errors": {r.key: r.reason for r in failed if not r.missing},
            "complete": not failed}


# ---------------------------------------------------------------------------- formatting





def _table3_md(a):
    cols = ["8b8b", "2x4b8b", *PRESET_NAMES, "sysmt"]
    rows = []
    for kind in ("sa_pe", "tc_dp"):
        t = a["table3"][kind]
        for who in ("ours", "paper"):
            rows.append([f"{KIND_TITLE[kind]}, {who}"]
                        + [_f(t[c][who]) if c in t else "n/a" for c in cols])
    return _table(["design"] + [_title(c) for c in cols], rows)


def _status(t) -> str:
    if t["met"] is None:
        return "not measured (design not synthesized)"
    return "met" if t["met"] else f"MISSED by {t['excess']:.1%}"


def _targets_md(a):
    rows = [[t["target"], _f(t["measured"]), _f(t["limit"]), _status(t)] for t in a["targets"]]
    return _table(["target", "measured", "limit", "status"], rows)


def _targets_summary(a) -> str:
    """One generated sentence over the targets table (docs/area.md cites it, not numbers)."""
    targets = a["targets"]
    met = sum(t["met"] is True for t in targets)
    missed = [t for t in targets if t["met"] is False]
    unmeasured = sum(t["met"] is None for t in targets)
    text = f"{met} of {len(targets)} targets met"
    if missed:
        text += "; missed: " + "; ".join(f"{t['target']} (by {t['excess']:.1%})"
                                         for t in missed)
    if unmeasured:
        text += f"; {unmeasured} not measured (designs not synthesized)"
    return text + "."


def _name(point: str) -> str:
    """An OpenSTA start- or endpoint without its description in parentheses."""
    return point.split(" (")[0]


def _absolute_md(results: list[Record], meta):
    base = {k: next((r for r in results if r.key == f"{k}_8b8b" and r.ok), None)
            for k in ("sa_pe", "tc_dp")}
    rows = []
    for r in results:
        if not r.ok:
            continue
        b = base.get(r.kind)
        rows.append([r.key, f"{r.area:.0f}", f"{r.area_nand2:.0f}", r.cells,
                     f"{r.sequential_area / r.area:.0%}", f"{r.delay:.2f}",
                     _f(r.delay / b.delay) if b else "-",
                     f"{_name(r.startpoint)} -> {_name(r.endpoint)}"])
    return _table(["design", "area", "NAND2 eq.", "cells", "registers",
                   f"delay ({meta['time_unit']})", "delay / 8b-8b", "critical path"], rows)


def _breakdown_md(results: list[Record], meta):
    ok = [r for r in results if r.ok and r.kind != "block"]
    cats = [c for c in CATEGORIES if any(r.breakdown.get(c) for r in ok)]
    nand2 = meta["nand2_area"]
    rows = [[r.key] + [f"{r.breakdown[c] / nand2:.0f}" for c in cats]
            + [f"{r.hier_area / nand2:.0f}", f"{r.area_nand2:.0f}"] for r in ok]
    return _table(["design"] + cats + ["hierarchical total", "flat total"], rows)


def _tru_md(a):
    rows = [[p, f"{t['area_nand2']:.0f}", f"{t['delay']:.2f}", _f(t["of_tc_dp"], "{:.1%}"),
             _f(t["paper"], "{:.0%}")] for p, t in a["tru"].items()]
    return _table(["preset", "TRU NAND2 eq.", "delay", "TRU / 8b-8b TC DP unit", "paper"], rows)


def _stc_md(a):
    rows = [[_title(v), f"{r['area_nand2']:.0f}", _f(r["rel_area"]), f"{r['delay']:.2f}",
             _f(r["rel_delay"]), f"{r['tru_share']:.1%}", f"{r['select_share']:.1%}"]
            for v, r in a["stc"].items()]
    return _table(["variant", "NAND2 eq.", "area vs 8b-8b", "delay", "delay vs 8b-8b",
                   "TRUs (share)", "2:4 selection (share)"], rows)


def _array_md(a, meta):
    rows = [[_title(v), row["pes"], row["trus"], f"{row['area'] / meta['nand2_area'] / 1e6:.2f}",
             f"{row['tru_share']:.2%}", row["macs_per_cycle"], _f(row.get("area_per_mac_rel")),
             _f(row.get("area_time_per_mac_rel"))] for v, row in a["array"].items()]
    return _table(["array", "PEs", "TRUs", "area (M NAND2 eq.)", "TRU share", "MACs/cycle",
                   "area per MAC/cycle vs 8b-8b", "area x time per MAC vs 8b-8b"], rows)


def _notes(a, results: list[Record], meta) -> str:
    """What each missed target measures: the critical path, or the categories that grew most."""
    by_key = {r.key: r for r in results if r.ok}
    notes = []
    for t in a["targets"]:
        if t["met"] is not False:
            continue
        r, b = by_key.get(f"{t['kind']}_{t['variant']}"), by_key.get(f"{t['kind']}_8b8b")
        if r is None or b is None:
            continue
        head = f"- {t['target']}: {t['measured']:.2f} vs {t['limit']:.2f} ({t['excess']:+.1%})"
        if "critical path" in t["target"]:
            notes.append(f"{head}; critical path {_name(r.startpoint)} -> {_name(r.endpoint)}, "
                         f"{r.delay:.2f} {meta['time_unit']} against {b.delay:.2f}.")
            continue
        growth = {c: r.breakdown[c] - b.breakdown[c] for c in CATEGORIES}
        top = [c for c in sorted(growth, key=growth.get, reverse=True)[:2] if growth[c] > 0]
        notes.append(f"{head}; growth over 8b-8b, as a share of its hierarchical area: "
                     + ", ".join(f"{c} {growth[c] / b.hier_area:+.0%}" for c in top) + ".")
    if not notes:
        return "- Every measured target is met."
    return ("\n".join(notes) + "\n\nWhere these gaps come from and the design changes aimed at "
            f"them: [docs/area.md, Closing the gaps]({DISCUSSION}).")


def _failures_md(results: list[Record]) -> str:
    rows = [f"- `{r.key}` ({r.status}): {r.reason}" for r in results if not r.ok]
    return "\n".join(rows) or "- none"


def _incomplete_md(results: list[Record]) -> str:
    """A warning under the title when designs are missing from every table."""
    failed = [r.key for r in results if not r.ok]
    if not failed:
        return ""
    return (f"\n**Incomplete: {len(failed)} of {len(results)} designs were not synthesized** "
            f"({', '.join(f'`{k}`' for k in failed)}; reasons under "
            "[Designs not synthesized](#designs-not-synthesized)); the tables leave them out.\n")


def markdown(results: list[Record], a: dict, meta: dict, figure: bool = True) -> str:
    """The whole report; ``figure``: embed area_breakdown.png (False when it was not drawn)."""
    image = ("![area breakdown](area_breakdown.png)" if figure else
             "(No breakdown figure: no PE, DP unit or TRU was synthesized.)")
    return f"""# Area and timing of the SPARQ units against the paper

Generated by `make area` (`python -m synth.area`); do not edit by hand.  How the
flow works and how to read this report: [docs/area.md](../docs/area.md).
{_incomplete_md(results)}
## Assumptions

- Library: `{meta['library']}` (`{meta['liberty']}`).  Area in {meta['area_unit']},
  time in {meta['time_unit']}; NAND2 equivalent = area / {meta['nand2']} area
  ({meta['nand2_area']:g}).
- Synthesis: {meta['yosys']}; the same script for every design: `{meta['synth_cmd']}`,
  `dfflibmap` and `abc -liberty`.  Totals (Table 3, absolute areas, array) are flattened;
  the breakdown is hierarchical (no optimization across module boundaries).
- Accumulator width {meta['acc_width']} bits.  Registers counted: every flip-flop of the
  unit as generated (SA PE: forwarded activation word, weights and control, partial sum,
  result and drain registers; TC DP unit: `d` and its valid bit; TRU: the packed word and
  its valid bit); no SRAM, no array-edge buffers.
- Timing: OpenSTA, one {meta['period']:g} {meta['time_unit']} clock for every design;
  inputs driven by {meta['nand2']} and arriving at the clock edge, outputs required at the
  next edge; delay = period - worst slack (includes the capturing register's setup time).
- Throughput: 8b-8b does 1 MAC a cycle per PE (4 per TC DP unit); 2x4b-8b, SPARQ and SySMT
  do 2 (8 per TC DP unit): the paper's "2x the performance".

## Table 3: relative PE area (vs the 8b-8b PE of the same row)

{_table3_md(a)}

## Targets (reported, not asserted)

{_targets_summary(a)}

{_targets_md(a)}

## Trim-and-round unit vs one 8b-8b tensor-core dot-product unit

{_tru_md(a)}

## Sparse tensor-core DP unit (2:4 weights, a TRU in every unit)

Not in the paper's Table 3; the paper only says the TRU overhead is smaller relative to the
whole STC.  SPARQ covers 16 dense positions a cycle, the 8b-8b unit 8; shares are of the
hierarchical area.

{_stc_md(a)}

## 128x128 systolic array (module areas x counts, never flattened)

{_array_md(a, meta)}

## Per-component breakdown (NAND2 equivalents, hierarchical synthesis)

{_breakdown_md(results, meta)}

{image}

## Every design: area and critical path

{_absolute_md(results, meta)}

## Designs not synthesized

{_failures_md(results)}

## Notes on missed targets

{_notes(a, results, meta)}
"""


def _csv(results: list[Record], a):
    out = io.StringIO()
    fields = ["key", "kind", "variant", "area", "area_nand2", "cells", "sequential_area",
              "hier_area", "rel_area", "paper_rel_area", "delay", "rel_delay", "macs_per_cycle",
              *[f"bd_{c.replace(' ', '_')}" for c in CATEGORIES], "missing", "error"]
    w = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in results:
        row = r.as_dict()
        rel = a["table3"].get(r.kind, {}).get(r.variant, {})
        row.update(rel_area=rel.get("ours"), paper_rel_area=rel.get("paper"),
                   rel_delay=rel.get("delay"))
        row.update({f"bd_{c.replace(' ', '_')}": v for c, v in row.pop("breakdown", {}).items()})
        w.writerow(row)
    return out.getvalue()


def _plot_groups(results: list[Record]) -> list[tuple[str, list[Result]]]:
    """(kind, synthesized designs) of every panel that has at least one design."""
    groups = [(k, [r for r in results if r.kind == k and r.ok]) for k in PLOT_KINDS]
    return [(k, rs) for k, rs in groups if rs]


def plot(results: list[Record], meta, path: Path) -> bool:
    """Stacked breakdown bars, one panel per kind with a synthesized design.

    Returns False, drawing nothing, when no PE, DP unit or TRU was synthesized.
    """
    groups = _plot_groups(results)
    if not groups:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Wide enough for the title with a single panel.
    width = max(4.5 * len(groups), 7.0)
    fig, axes = plt.subplots(1, len(groups), figsize=(width, 5), squeeze=False)
    # One colour per category across every panel (tab10 has colours to spare).
    colors = dict(zip(CATEGORIES, plt.get_cmap("tab10").colors, strict=False))
    for ax, (kind, rs) in zip(axes[0], groups, strict=True):
        bottom = [0.0] * len(rs)
        for cat in CATEGORIES:
            vals = [r.breakdown[cat] / meta["nand2_area"] for r in rs]
            ax.bar([_title(r.variant) for r in rs], vals, bottom=bottom, label=cat,
                   color=colors[cat])
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        ax.set_title(KIND_TITLE[kind])
        ax.set_ylabel("NAND2 equivalents")
        ax.tick_params(axis="x", rotation=45)
    handles, labels = axes[0][0].get_legend_handles_labels()
    # A narrower figure (fewer panels) wraps the legend so that it stays inside.
    ncol = min(len(CATEGORIES), int(width // 2.2))
    rows = -(-len(CATEGORIES) // ncol)
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=9)
    fig.suptitle(f"Area by component (hierarchical synthesis, {meta['library']})")
    fig.tight_layout(rect=(0, 0.035 + 0.035 * rows, 1, 1))
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return True


def write_all(results: list[Record], meta: dict, out: Path) -> list[Path]:
    """Write area.md, area.csv, area.json and (when it has bars) area_breakdown.png.

    A figure left by an earlier run is removed when this one draws none, so
    the folder never shows a figure of other results.  Returns the files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    a = analyze(results)
    png = out / "area_breakdown.png"
    drawn = plot(results, meta, png)
    if not drawn:
        png.unlink(missing_ok=True)
    files = {out / "area.md": markdown(results, a, meta, figure=drawn),
             out / "area.csv": _csv(results, a),
             out / "area.json": json.dumps({"meta": meta, "analysis": a,
                                            "designs": [r.as_dict() for r in results]},
                                           indent=1, sort_keys=True) + "\n"}
    for path, text in files.items():
        path.write_text(text)
    return [*files, *([png] if drawn else [])]
