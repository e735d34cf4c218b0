"""reports/sweep.{md,json,csv} and the Pareto plots of a sweep.

Everything written comes from the points' figures and the sweep's inputs (no
times, hosts or cache states), so a rerun served from the cache writes the
same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

from sweep import flows

__all__ = ["pareto", "PLOTS", "write_all", "rows"]

#: Pareto plots: (file stem, title, x metric, y metric, the flows they need).
#: Metrics are (name, label, goal) with goal "min" or "max".
PLOTS = (
    ("sweep_pareto_accuracy_area", "Accuracy change vs area per MAC",
     ("area_per_mac", "area per MAC (NAND2 eq.)", "min"),
     ("accuracy_change_pp", "accuracy change (pp)", "max"), ("area", "accuracy")),
    ("sweep_pareto_energy_speedup", "Energy per inference vs speedup",
     ("speedup", "speedup vs 8b-8b", "max"),
     ("energy_per_inference_uj", "energy per inference (uJ)", "min"), ("power", "networks")),
    ("sweep_pareto_energy_area", "Energy per MAC vs area per MAC",
     ("area_per_mac", "area per MAC (NAND2 eq.)", "min"),
     ("pj_per_mac", "energy per MAC, real stream (pJ)", "min"), ("area", "power")),
)
TITLE = {"8b8b": "8b-8b", "2x4b8b": "2x4b-8b", "sysmt": "SySMT"}


def _f(v, spec="{:.2f}") -> str:
    return "-" if v is None else spec.format(v)


def pareto(values: list[tuple], goals: tuple[str, str]) -> list[bool]:
    """Which (x, y) points are non-dominated: no other is as good on both and better on one."""
    sign = [1 if g == "min" else -1 for g in goals]
    pts = [(sign[0] * x, sign[1] * y) for x, y in values]
    out = []
    for i, (x, y) in enumerate(pts):
        dominated = any(a <= x and b <= y and (a < x or b < y)
                        for j, (a, b) in enumerate(pts) if j != i)
        out.append(not dominated)
    return out


def rows(results: list) -> list[dict]:
    """One flat record per point: its parameters, status and figures (relative to 8b-8b)."""
    by_point = {r.point: r for r in results}
    out = []
    for r in results:
        p = r.point
        row = {"label": p.label, **p.as_dict(), "status": "failed" if r.state == "failed"
               else "ok"}
        base = by_point.get(p.baseline)
        base = base if base is not None and base.state != "failed" else None
        if r.area:
            a = r.area
            row.update(area_nand2=a["area_nand2"], area_per_mac=a["area_nand2_per_mac"],
                       macs_per_cycle=a["macs_per_cycle"], delay=a["delay"],
                       fmax_mhz=a["fmax_mhz"])
            if base is not None and base.area:
                row["area_per_mac_rel"] = a["area_per_mac"] / base.area["area_per_mac"]
        if r.energy:
            for s in flows.STREAMS:
                row[f"pj_per_mac_{s}"] = r.energy[s]["pj_per_mac"]
            row["pj_per_mac"] = r.energy["real"]["pj_per_mac"]
            if base is not None and base.energy:
                row["energy_per_mac_rel"] = (r.energy["real"]["pj_per_mac"]
                                             / base.energy["real"]["pj_per_mac"])
        if r.networks:
            nets = r.networks.values()
            speedups = [n["speedup_vs_8b8b"] for n in nets]
            # One figure a point for the plot: the geometric mean over the sweep's networks.
            row["speedup"] = float(math.prod(speedups) ** (1 / len(speedups)))
            row["cycles"] = sum(n["cycles"] for n in nets)
            row["drain_bound_tiles"] = sum(n["drain_bound_tiles"] for n in nets)
            energies = [n.get("energy_per_inference_uj") for n in nets]
            if all(e is not None for e in energies):
                row["energy_per_inference_uj"] = sum(energies) / len(energies)
            for name, n in r.networks.items():
                row[f"speedup_{name}"] = n["speedup_vs_8b8b"]
        if r.accuracy:
            changes = [a["change_pp"] for a in r.accuracy.values()]
            row["accuracy_change_pp"] = sum(changes) / len(changes)
            for name, a in r.accuracy.items():
                row[f"accuracy_{name}"] = a["accuracy"]
                row[f"accuracy_change_pp_{name}"] = a["change_pp"]
        if r.failures:
            row["error"] = "; ".join(f"{label}: {reason}" + (f" (log {log})" if log else "")
                                     for label, reason, log in r.failures)
        out.append(row)
    return out


def _varies(table: list[dict], key: str) -> bool:
    return len({r[key] for r in table}) > 1


def _name(r: dict) -> str:
    variant = TITLE.get(r["variant"], r["variant"])
    return f"{r['arch'].upper()} {r['rows']}x{r['cols']} {variant} acc{r['acc_width']}"


def _points_md(table: list[dict], sweep) -> str:
    head = ["point"]
    cols = []
    if _varies(table, "liberty"):
        cols.append(("liberty", lambda r: Path(r["liberty"]).name))
    if _varies(table, "period"):
        cols.append(("clock (ns)", lambda r: f"{r['period']:g}"))
    if "area" in sweep.flows:
        cols += [("area (M NAND2 eq.)", lambda r: _f(r.get("area_nand2") and
                                                     r["area_nand2"] / 1e6, "{:.3f}")),
                 ("MACs/cycle", lambda r: _f(r.get("macs_per_cycle"), "{:d}")),
                 ("area per MAC (NAND2 eq.)", lambda r: _f(r.get("area_per_mac"), "{:.1f}")),
                 ("area per MAC vs 8b-8b", lambda r: _f(r.get("area_per_mac_rel"))),
                 ("delay (ns)", lambda r: _f(r.get("delay"))),
                 ("fmax (MHz)", lambda r: _f(r.get("fmax_mhz"), "{:.0f}"))]
    if "power" in sweep.flows:
        cols += [("pJ/MAC real", lambda r: _f(r.get("pj_per_mac_real"))),
                 ("energy per MAC vs 8b-8b", lambda r: _f(r.get("energy_per_mac_rel"))),
                 ("pJ/MAC random", lambda r: _f(r.get("pj_per_mac_random"))),
                 ("pJ/MAC zero", lambda r: _f(r.get("pj_per_mac_zero")))]
    if "networks" in sweep.flows:
        cols += [("speedup vs 8b-8b (geomean)", lambda r: _f(r.get("speedup"), "{:.3f}x")),
                 ("drain-bound tiles", lambda r: _f(r.get("drain_bound_tiles"), "{:,d}"))]
        if "power" in sweep.flows:
            cols.append(("energy / inference (uJ, mean)",
                         lambda r: _f(r.get("energy_per_inference_uj"), "{:,.1f}")))
    if "accuracy" in sweep.flows:
        cols.append(("accuracy change (pp, mean)",
                     lambda r: _f(r.get("accuracy_change_pp"), "{:+.2f}")))
    head += [c for c, _ in cols] + ["status"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table:
        cells = [_name(r)] + [fn(r) for _, fn in cols] + [r["status"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fronts(table: list[dict], sweep) -> tuple[str, dict]:
    """The Pareto sections (markdown) and {plot stem: [(row, on the front)]} to draw."""
    parts, drawn = [], {}
    for stem, title, x, y, needs in PLOTS:
        missing = [f for f in needs if f not in sweep.flows]
        parts.append(f"### {title}\n")
        unavailable = [f for f in missing if f in flows.UNAVAILABLE]
        if unavailable:
            parts.append(f"Not drawn: {flows.UNAVAILABLE[unavailable[0]]}.\n")
            continue
        if missing:
            parts.append(f"Not drawn: the sweep does not ask for flow "
                         f"{' and '.join(repr(m) for m in missing)}.\n")
            continue
        pts = [r for r in table if r.get(x[0]) is not None and r.get(y[0]) is not None]
        if not pts:
            parts.append("Not drawn: no point has both figures.\n")
            continue
        front = pareto([(r[x[0]], r[y[0]]) for r in pts], (x[2], y[2]))
        drawn[stem] = (title, x, y, list(zip(pts, front, strict=True)))
        names = [r["label"] for r, on in zip(pts, front, strict=True) if on]
        parts.append(f"![{title}]({stem}.png)\n\nNon-dominated ({x[1]}: {x[2]}imize, {y[1]}: "
                     f"{y[2]}imize): {', '.join(names)}.\n")
    return "\n".join(parts), drawn


def _per_item_md(table: list[dict], sweep) -> str:
    """Per network and per model, the figures each point's means are made of."""
    parts = []
    if "networks" in sweep.flows:
        head = ["point"] + [f"{n} speedup" for n in sweep.networks]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in table:
            lines.append("| " + " | ".join([_name(r)] + [
                _f(r.get(f"speedup_{n}"), "{:.3f}x") for n in sweep.networks]) + " |")
        parts.append(f"### Networks (batch {sweep.batch}; `make networks`, "
                     f"reports/networks.md)\n\n" + "\n".join(lines) + "\n")
    if "accuracy" in sweep.flows:
        head = ["point"] + [f"{m} accuracy (change, pp)" for m in sweep.models]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in table:
            cells = [_name(r)]
            for m in sweep.models:
                acc, ch = r.get(f"accuracy_{m}"), r.get(f"accuracy_change_pp_{m}")
                cells.append("-" if acc is None else f"{100 * acc:.2f}% ({ch:+.2f})")
            lines.append("| " + " | ".join(cells) + " |")
        parts.append("### Accuracy on the trained Fashion-MNIST models (`make accuracy`, "
                     "reports/accuracy.md; change against FP32)\n\n" + "\n".join(lines) + "\n")
    return "\n".join(parts)


def _failures_md(table: list[dict]) -> str:
    bad = [f"- {r['label']}: {r['error']}" for r in table if r["status"] == "failed"]
    return "\n".join(bad) or "- none"


def markdown(table: list[dict], sweep, meta: dict, fronts: str) -> str:
    failed = sum(r["status"] == "failed" for r in table)
    warn = (f"\n**Incomplete: {failed} of {len(table)} points failed** (see "
            "[Failed points](#failed-points)).\n" if failed else "")
    tools = ", ".join(f"{t} {v}" for t, v in sorted(meta["tools"].items())) or "-"
    libs = ", ".join(sorted({f"`{r['liberty']}`" for r in table}))
    power = (f"\n- Energy (`make power` flow): every unit's netlist simulated at gate level on "
             f"{sweep.cycles} cycles of each stream (real: the Fashion-MNIST CNN's conv2/conv3 "
             f"operands on {sweep.images} test images; random codes with the same zero share; "
             "zero activations), OpenSTA power; the array composed from unit energies as "
             "docs/sweep.md says (a fully busy array, no clock tree, SRAM or wires)."
             if "power" in sweep.flows else "")
    area = ("\n- Area (`make area` flow): each unit synthesized flat with Yosys and timed with "
            "OpenSTA; the\n  array's area is module areas x counts (PEs or DP units, and TRUs), "
            "as `reports/area.md`\n  composes its 128x128 array (no edge registers, SRAM or sweep "
            "control); delay = the slowest\n  unit's critical path.  NAND2 eq. = area / NAND2 "
            "area." if {"area", "power"} & set(sweep.flows) else "")
    nets = (f"\n- Networks (`make networks` flow): {', '.join(sweep.networks)} at batch "
            f"{sweep.batch}, every quantized layer mapped with `verif.runner.plan_gemm`, layers "
            "back to back; speedup against the 8b-8b array of the same size; energy per "
            "inference (with power) = MACs x pJ/MAC (real) + idle cycles x pJ/cycle (zero), "
            "per image." if "networks" in sweep.flows else "")
    acc = (f"\n- Accuracy (`make accuracy` flow): {', '.join(sweep.models)} on the 10,000 "
           "Fashion-MNIST test images, change against FP32 in percentage points; 8b-8b is "
           "A8W8, 2x4b-8b uniform A4, SySMT 2opt-trim, the STC the 2:4-pruned model."
           if "accuracy" in sweep.flows else "")
    return f"""# Design-space sweep

Generated by `{meta['command']}`; do not edit by hand.  How it works and how to run it on a
cluster: [docs/sweep.md](../docs/sweep.md).
{warn}
## Inputs

- {len(table)} design points; flows: {', '.join(sweep.flows)}.
- Library: {libs}.  Tools on the workers: {tools}.{area}{power}{nets}{acc}

## Points

{_points_md(table, sweep)}

{_per_item_md(table, sweep)}
## Pareto fronts

{fronts}
## Failed points

{_failures_md(table)}
"""


def _csv(table: list[dict]) -> str:
    fields = ["label", "arch", "variant", "rows", "cols", "acc_width", "liberty", "period",
              "status", "area_nand2", "macs_per_cycle", "area_per_mac", "area_per_mac_rel",
              "delay", "fmax_mhz", "pj_per_mac_real", "pj_per_mac_random", "pj_per_mac_zero",
              "energy_per_mac_rel", "speedup", "cycles", "drain_bound_tiles",
              "energy_per_inference_uj", "accuracy_change_pp", "error"]
    out = io.StringIO()
    w = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in table:
        w.writerow(r)
    return out.getvalue()


def _plot(path: Path, title: str, x, y, pts) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 5))
    arches = sorted({r["arch"] for r, _ in pts})
    colors = dict(zip(arches, plt.get_cmap("tab10").colors, strict=False))
    # Points close together (one unit at two array sizes) get labels on alternate sides.
    order = sorted(range(len(pts)), key=lambda i: (pts[i][0][x[0]], pts[i][0][y[0]]))
    for rank, i in enumerate(order):
        r, on = pts[i]
        ax.scatter(r[x[0]], r[y[0]], s=60 if on else 30, color=colors[r["arch"]],
                   marker="o" if on else "x", zorder=3)
        ax.annotate(f"{r['arch'].upper()} {r['rows']}x{r['cols']} "
                    f"{TITLE.get(r['variant'], r['variant'])}", (r[x[0]], r[y[0]]), fontsize=7,
                    xytext=(5, 4) if rank % 2 == 0 else (5, -10), textcoords="offset points")
    front = sorted((r[x[0]], r[y[0]]) for r, on in pts if on)
    if len(front) > 1:
        ax.plot(*zip(*front, strict=True), color="grey", lw=1, ls="--", zorder=2,
                label="non-dominated")
    for a in arches:
        ax.scatter([], [], color=colors[a], label=a.upper())
    ax.scatter([], [], color="black", marker="o", label="non-dominated point")
    ax.scatter([], [], color="black", marker="x", label="dominated point")
    ax.set_xlabel(f"{x[1]} ({x[2]}imize)")
    ax.set_ylabel(f"{y[1]} ({y[2]}imize)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(results: list, sweep, meta: dict, out: Path) -> list[Path]:
    """Write sweep.md, sweep.json, sweep.csv and the Pareto plots that have points.

    A plot of an earlier run that this one does not draw is removed.  Each file
    is written whole (temporary file, then renamed).
    """
    out.mkdir(parents=True, exist_ok=True)
    table = rows(results)
    fronts, drawn = _fronts(table, sweep)
    for stem, *_ in PLOTS:
        if stem not in drawn:
            (out / f"{stem}.png").unlink(missing_ok=True)
    paths = []
    for stem, (title, x, y, pts) in drawn.items():
        tmp = out / f".{stem}.tmp.png"
        _plot(tmp, title, x, y, pts)
        os.replace(tmp, out / f"{stem}.png")
        paths.append(out / f"{stem}.png")
    for r in table:
        r["pareto"] = {stem: on for stem, (_, _, _, pts) in drawn.items()
                       for row, on in pts if row is r}
    doc = {"meta": meta, "points": table,
           "details": [{"label": r.point.label, "area": r.area, "energy": r.energy,
                        "networks": r.networks, "accuracy": r.accuracy,
                        "pieces": r.keys} for r in results]}
    files = {out / "sweep.md": markdown(table, sweep, meta, fronts),
             out / "sweep.csv": _csv(table),
             out / "sweep.json": json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n"}
    for path, text in files.items():
        _write_atomic(path, text.encode())
    return [*files, *paths]
