"""Turn synthesis results into reports/area.{md,csv,json} and the breakdown PNG.

:func:`analyze` derives every table from the per-design results (plain dicts
from :func:`synth.flow.synthesize`); the writers only format it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from synth.designs import CATEGORIES, PRESET_NAMES, SA_VARIANTS, STC_VARIANTS, TC_VARIANTS
from synth.paper import TABLE3, TARGETS, TRU_OF_TC_DP

__all__ = ["analyze", "markdown", "write_all", "ARRAY_SIZE"]

#: The full systolic array of the paper's SA use case.
ARRAY_SIZE = 128
KIND_TITLE = {"sa_pe": "SA PE", "tc_dp": "TC PE (DP unit)", "stc_dp": "STC DP unit (2:4)",
              "tru": "TRU", "block": "block"}
COLUMN_TITLE = {"8b8b": "8b-8b", "2x4b8b": "2x4b-8b", "sysmt": "SySMT"}


def _title(variant: str) -> str:
    return COLUMN_TITLE.get(variant, variant)


def _ok(results, kind, variant):
    r = results.get(f"{kind}_{variant}")
    return r if r is not None and "area" in r else None


def _relative(results, kind, variants):
    base = _ok(results, kind, "8b8b")
    rows = {}
    for v in variants:
        r = _ok(results, kind, v)
        rows[v] = {"ours": r["area"] / base["area"] if r and base else None,
                   "paper": TABLE3[kind].get(v),
                   "delay": r["delay"] / base["delay"] if r and base else None}
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
        tru_area = trus * (tru["area"] if tru else 0)
        area = pes * pe["area"] + tru_area
        macs = pes * pe["macs_per_cycle"]
        rows[v] = {"pes": pes, "trus": trus, "area": area, "tru_share": tru_area / area,
                   "macs_per_cycle": macs, "area_per_mac": area / macs,
                   "delay": max(pe["delay"], tru["delay"] if tru else 0)}
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
            rows[p] = {"area": t["area"], "area_nand2": t["area_nand2"], "delay": t["delay"],
                       "of_tc_dp": t["area"] / dp["area"] if dp else None,
                       "paper": TRU_OF_TC_DP.get(p)}
    return rows


def _stc(results):
    """Sparse TC units against the 8b-8b one; the share of their per-unit TRUs."""
    base = _ok(results, "stc_dp", "8b8b")
    rows = {}
    for v in STC_VARIANTS:
        r = _ok(results, "stc_dp", v)
        if r:
            bd = r["breakdown"]
            rows[v] = {"area_nand2": r["area_nand2"], "delay": r["delay"],
                       "rel_area": r["area"] / base["area"] if base else None,
                       "rel_delay": r["delay"] / base["delay"] if base else None,
                       "tru_share": bd.get("trim and round", 0) / r["hier_area"],
                       "select_share": bd.get("sparse selection", 0) / r["hier_area"]}
    return rows


def analyze(results: list[dict]) -> dict:
    by_key = {r["key"]: r for r in results}
    table = {"sa_pe": _relative(by_key, "sa_pe", SA_VARIANTS),
             "tc_dp": _relative(by_key, "tc_dp", TC_VARIANTS)}
    return {"table3": table, "targets": _targets(table), "tru": _tru(by_key),
            "array": _array(by_key), "stc": _stc(by_key),
            "missing": {r["key"]: r["missing"] for r in results if "missing" in r},
            "errors": {r["key"]: r["error"] for r in results if "error" in r}}


# ---------------------------------------------------------------------------- formatting

def _f(value, fmt="{:.2f}"):
    return "-" if value is None else fmt.format(value)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


def _table3_md(a):
    cols = ["8b8b", "2x4b8b", *PRESET_NAMES, "sysmt"]
    rows = []
    for kind in ("sa_pe", "tc_dp"):
        t = a["table3"][kind]
        for who in ("ours", "paper"):
            rows.append([f"{KIND_TITLE[kind]}, {who}"]
                        + [_f(t[c][who]) if c in t else "n/a" for c in cols])
    return _table(["design"] + [_title(c) for c in cols], rows)


def _targets_md(a):
    rows = []
    for t in a["targets"]:
        if t["met"] is None:
            status = "not measured (design missing)"
        elif t["met"]:
            status = "met"
        else:
            status = f"MISSED by {t['excess']:.1%}"
        rows.append([t["target"], _f(t["measured"]), _f(t["limit"]), status])
    return _table(["target", "measured", "limit", "status"], rows)


def _absolute_md(results, meta):
    base = {k: next((r for r in results if r["key"] == f"{k}_8b8b" and "area" in r), None)
            for k in ("sa_pe", "tc_dp")}
    rows = []
    for r in results:
        if "area" not in r:
            continue
        b = base.get(r["kind"])
        rows.append([r["key"], f"{r['area']:.0f}", f"{r['area_nand2']:.0f}", r["cells"],
                     f"{r['sequential_area'] / r['area']:.0%}", f"{r['delay']:.2f}",
                     _f(r["delay"] / b["delay"]) if b else "-",
                     r["startpoint"].split(" (")[0] + " -> " + r["endpoint"].split(" (")[0]])
    return _table(["design", "area", "NAND2 eq.", "cells", "registers",
                   f"delay ({meta['time_unit']})", "delay / 8b-8b", "critical path"], rows)


def _breakdown_md(results, meta):
    rows = []
    cats = [c for c in CATEGORIES if any(r.get("breakdown", {}).get(c) for r in results)]
    for r in results:
        if "breakdown" not in r or r["kind"] == "block":
            continue
        nand2 = meta["nand2_area"]
        rows.append([r["key"]] + [f"{r['breakdown'][c] / nand2:.0f}" for c in cats]
                    + [f"{r['hier_area'] / nand2:.0f}", f"{r['area_nand2']:.0f}"])
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


#: What would shrink each category; measured alternatives are in area_experiments.md.
CHANGES = {
    "adder tree": "AdderTree with one width per operand (products at 12-17 bits, not "
                  "sign-extended to acc_width): -13% (SA) to -33% (TC) tree area in "
                  "area_experiments.md, but the 8b-8b tree shrinks too, so it narrows the "
                  "2x4b-8b gap and leaves SPARQ's ratio about where it is; SPARQ's tree has "
                  "twice the operands (two slot products per pair), which is structural",
    "shifters and muxes": "one-hot shift selects from the TRU, so each slot's |S|-way shift "
                          "mux needs no index decoder (not measured)",
    "registers": "none: the extra flip-flops forward the second weight (and the wider "
                 "activation word), inherent to taking two weights a cycle",
    "control and glue": "trim in one TRU per row instead of in every PE (that is SPARQ itself)",
    "multipliers": "narrower slots (6opt/7opt)",
    "trim and round": "one TRU per row (SA) instead of per PE",
    "timing": "a pipeline register between the two-slot multiplier and the adder tree "
              "(shortens the path, costs 2 x 17 flip-flops per PE and one cycle of latency; "
              "not measured), or one-hot shift selects to take the index decoder off the path",
}


def _notes(a, results):
    """Why each missed target is missed, then the changes that would close them."""
    by_key = {r["key"]: r for r in results}
    notes, causes = [], []
    for t in a["targets"]:
        if t["met"] is not False:
            continue
        r, b = by_key.get(f"{t['kind']}_{t['variant']}"), by_key.get(f"{t['kind']}_8b8b")
        if not (r and b and "breakdown" in r and "breakdown" in b):
            continue
        head = f"- {t['target']}: {t['measured']:.2f} vs {t['limit']:.2f} ({t['excess']:+.1%})"
        if "critical path" in t["target"]:
            notes.append(f"{head}; path {r['startpoint'].split(' (')[0]} -> "
                         f"{r['endpoint'].split(' (')[0]} (weight mux, multiplier, shift, adder "
                         "tree, ripple carry into the partial sum).")
            causes.append("timing")
            continue
        growth = {c: r["breakdown"][c] - b["breakdown"][c] for c in CATEGORIES}
        top = [c for c in sorted(growth, key=growth.get, reverse=True)[:2] if growth[c] > 0]
        notes.append(f"{head}; growth over 8b-8b, as a share of its hierarchical area: "
                     + ", ".join(f"{c} {growth[c] / b['hier_area']:+.0%}" for c in top) + ".")
        causes += top
    if not notes:
        return "- Every measured target is met."
    closing = "\n".join(f"- {c}: {CHANGES[c]}." for c in dict.fromkeys(causes))
    return ("\n".join(notes) + "\n\nDesign changes aimed at them (what they buy, where "
            "measured):\n\n" + closing)


def markdown(results: list[dict], a: dict, meta: dict) -> str:
    missing = "\n".join(f"- `{k}`: {why}" for k, why in {**a["missing"], **a["errors"]}.items())
    return f"""# Area and timing of the SPARQ units against the paper

Generated by `make area` (`python -m synth.area`); do not edit by hand.  How the
flow works and how to read this report: [docs/area.md](../docs/area.md).

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

![area breakdown](area_breakdown.png)

## Every design: area and critical path

{_absolute_md(results, meta)}

## Missing designs

{missing or "- none"}

## Notes on missed targets

{_notes(a, results)}
"""


def _csv(results, a):
    out = io.StringIO()
    fields = ["key", "kind", "variant", "area", "area_nand2", "cells", "sequential_area",
              "hier_area", "rel_area", "paper_rel_area", "delay", "rel_delay", "macs_per_cycle",
              *[f"bd_{c.replace(' ', '_')}" for c in CATEGORIES], "missing"]
    w = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in results:
        row = dict(r)
        rel = a["table3"].get(r["kind"], {}).get(r["variant"], {})
        row.update(rel_area=rel.get("ours"), paper_rel_area=rel.get("paper"),
                   rel_delay=rel.get("delay"))
        row.update({f"bd_{c.replace(' ', '_')}": v for c, v in r.get("breakdown", {}).items()})
        w.writerow(row)
    return out.getvalue()


def plot(results, meta, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [(k, [r for r in results if r["kind"] == k and "breakdown" in r])
              for k in ("sa_pe", "tc_dp", "stc_dp", "tru")]
    groups = [(k, rs) for k, rs in groups if rs]
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 5), squeeze=False)
    # One colour per category across every panel.
    colors = dict(zip(CATEGORIES, plt.get_cmap("tab10").colors))
    for ax, (kind, rs) in zip(axes[0], groups):
        bottom = [0.0] * len(rs)
        for cat in CATEGORIES:
            vals = [r["breakdown"][cat] / meta["nand2_area"] for r in rs]
            ax.bar([_title(r["variant"]) for r in rs], vals, bottom=bottom, label=cat,
                   color=colors[cat])
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_title(KIND_TITLE[kind])
        ax.set_ylabel("NAND2 equivalents")
        ax.tick_params(axis="x", rotation=45)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(CATEGORIES), fontsize=9)
    fig.suptitle(f"Area by component (hierarchical synthesis, {meta['library']})")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def write_all(results: list[dict], meta: dict, out: Path) -> list[Path]:
    """Write area.md, area.csv, area.json and area_breakdown.png into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    a = analyze(results)
    files = {out / "area.md": markdown(results, a, meta), out / "area.csv": _csv(results, a),
             out / "area.json": json.dumps({"meta": meta, "analysis": a, "designs": results},
                                           indent=1, sort_keys=True) + "\n"}
    for path, text in files.items():
        path.write_text(text)
    plot(results, meta, out / "area_breakdown.png")
    return [*files, out / "area_breakdown.png"]
