"""reports/networks.{md,json} and the plot: the networks' cycles, speedups, losses, energy, RTL."""

from __future__ import annotations

import json
from pathlib import Path

from .arrays import PARTS
from .catalog import NETWORKS

__all__ = ["write_json", "write_md", "plot", "targets"]

PART_TITLES = {"ideal": "compute", "tile_fill": "tile fill", "k_pad": "K padding",
               "zero_partners": "non-SPARQ layers", "drain": "drain-bound",
               "fill": "stream fill"}
TITLES = {n.name: n.title for n in NETWORKS}
TARGET_SPEEDUP = 1.95


def _x(v) -> str:
    return "-" if v is None else f"{v:.3f}x"


def _pct(v) -> str:
    return f"{100 * v:.1f}%"


def _table(head: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _opts(r) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(r["options"].items())) or "default"


def _find(records, **want):
    for r in records:
        if all((r["options"] if k == "options" else r.get(k)) == v for k, v in want.items()):
            return r
    return None


def _columns(records) -> list[tuple]:
    """The (arch, rows, options) columns of the speedup table, in report order."""
    seen = []
    for r in records:
        col = (r["arch"], r["rows"], tuple(sorted(r["options"].items())))
        if r["design"] == "5opt" and col not in seen:
            seen.append(col)
    return seen


def _col_title(col) -> str:
    arch, rows, opts = col
    extra = "".join(f", {k} {v}" for k, v in opts)
    return f"{arch.upper()} {rows}x{rows}{extra}"


def speedup_table(records, batch: int) -> str:
    cols = _columns(records)
    rows = []
    for net in NETWORKS:
        row = [net.title + (" (paper)" if net.paper else ""), net.input]
        for arch, n, opts in cols:
            r = _find(records, network=net.name, batch=batch, arch=arch, rows=n, design="5opt",
                      options=dict(opts))
            row.append(_x(r and r["speedup_vs_8b8b"]))
        if any(c != "-" for c in row[2:]):
            rows.append(row)
    return _table(["network", "input"] + [_col_title(c) for c in cols], rows)


def baselines_table(records, rows_: int, batch: int, options=None) -> str:
    designs = ("5opt", "2x4b8b", "sysmt")
    out = []
    for net in NETWORKS:
        row = [net.title]
        for d in designs:
            r = _find(records, network=net.name, batch=batch, arch="sa", rows=rows_, design=d,
                      options=options or {})
            row.append(_x(r and r["speedup_vs_8b8b"]))
        out.append(row)
    return _table(["network", "SPARQ 5opt", "2x4b-8b", "SySMT"], out)


def losses_table(records, rows_: int, batch: int, design: str, options=None) -> str:
    out = []
    for net in NETWORKS:
        r = _find(records, network=net.name, batch=batch, arch="sa", rows=rows_, design=design,
                  options=options or {})
        if r is None:
            continue
        parts = [_pct(r["parts"][p] / r["cycles"]) for p in PARTS]
        out.append([net.title, f"{r['cycles']:,}", *parts, f"{r['drain_bound_tiles']:,}",
                    f"{r['drain_bound_layers']}", _x(r["speedup_vs_8b8b"])])
    return _table(["network", "cycles"] + [PART_TITLES[p] for p in PARTS]
                  + ["drain-bound tiles", "drain-bound layers", "speedup"], out)


def _without_drain(records, net, batch, rows_, options=None) -> float | None:
    """The speedup if neither array lost a cycle to drain-bound tiles (a counterfactual)."""
    s = _find(records, network=net, batch=batch, arch="sa", rows=rows_, design="5opt",
              options=options or {})
    b = _find(records, network=net, batch=batch, arch="sa", rows=rows_, design="8b8b",
              options=options or {})
    if s is None or b is None:
        return None
    return (b["cycles"] - b["parts"]["drain"]) / (s["cycles"] - s["parts"]["drain"])


def layer_table(records, net: str, rows_: int, batch: int, options=None) -> str:
    s = _find(records, network=net, batch=batch, arch="sa", rows=rows_, design="5opt",
              options=options or {})
    if s is None:
        return ""
    out = []
    for lay in s["layers"]:
        if not lay["mapped"]:
            continue
        beats = lay["beats_per_tile"]
        out.append([lay["name"], lay["M"], lay["K"], lay["N"], lay["groups"], beats,
                    "yes" if lay["drain_bound_tiles"] else "", f"{lay['cycles']:,}",
                    _x(lay.get("speedup_vs_8b8b"))])
    return _table(["layer", "M", "K", "N", "groups", "beats/tile", "drain-bound", "cycles",
                   "vs 8b-8b"], out)


def energy_table(records, batch: int) -> str:
    out = []
    for net in NETWORKS:
        for r in records:
            if (r["network"], r["batch"], r["arch"], r["rows"]) != (net.name, batch, "sa", 128) \
                    or r.get("energy") is None:
                continue
            e = r["energy"]
            base = _find(records, network=net.name, batch=batch, arch="sa", rows=128,
                         design="8b8b", options=r["options"])
            rel = e["uj"] / base["energy"]["uj"] if base and base.get("energy") else None
            out.append([net.title, r["design"], _opts(r), f"{e['uj']:,.0f}",
                        _pct(e["idle_share"]), f"{e['pj_per_mac_effective']:.2f}",
                        "-" if rel is None else f"{rel:.3f}"])
    return _table(["network", "design", "array options", "uJ / batch", "idle share",
                   "pJ / MAC", "vs 8b-8b"], out)


def rtl_table(checks: list[dict]) -> str:
    by = {}
    for c in checks:
        key = (c["network"], c["design"], c["whole"])
        agg = by.setdefault(key, {"layers": 0, "tiles": 0, "outputs": 0, "mismatches": 0,
                                  "cycles_ok": 0, "seconds": 0.0})
        agg["layers"] += 1
        agg["tiles"] += c["tiles"]
        agg["outputs"] += c["outputs"]
        agg["mismatches"] += c["mismatches"]
        agg["cycles_ok"] += c["cycles"] == c["plan_cycles"]
        agg["seconds"] += c["seconds"]
    rows = [[TITLES.get(n, n), d, "whole layer" if whole else "sampled tiles", a["layers"],
             a["tiles"], f"{a['outputs']:,}", a["mismatches"], f"{a['cycles_ok']}/{a['layers']}",
             f"{a['seconds']:.0f}"] for (n, d, whole), a in by.items()]
    return _table(["network", "array", "what", "layer shapes", "tiles", "outputs",
                   "mismatches", "cycles = plan", "s"], rows)


def targets(records, lanes_options: dict | None) -> list[str]:
    """The issue's targets at 128x128, as sentences with the numbers."""
    out = []
    if lanes_options is None:
        return ["No drain-lane design in this run: the targets of the option are not checked."]
    for batch in sorted({r["batch"] for r in records}):
        for net in (n for n in NETWORKS if n.paper):
            r = _find(records, network=net.name, batch=batch, arch="sa", rows=128,
                      design="5opt", options=lanes_options)
            if r is None:
                continue
            bound = r["drain_bound_tiles"]
            s = r["speedup_vs_8b8b"]
            verdict = "met" if s >= TARGET_SPEEDUP and bound == 0 else (
                "reported" if batch == 1 else "MISSED")
            out.append(f"{net.title}, batch {batch}: {_x(s)}, {bound} drain-bound tiles "
                       f"({verdict})")
    return out


def write_json(path: Path, meta: dict, records: list[dict], checks: list[dict]) -> None:
    path.write_text(json.dumps({"meta": meta, "records": records, "rtl_checks": checks},
                               indent=1, sort_keys=False) + "\n")


def plot(path: Path, records: list[dict], batch: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = _columns(records)
    nets = list(NETWORKS)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / max(1, len(cols))
    for c, col in enumerate(cols):
        arch, rows, opts = col
        vals = []
        for net in nets:
            r = _find(records, network=net.name, batch=batch, arch=arch, rows=rows,
                      design="5opt", options=dict(opts))
            vals.append(r["speedup_vs_8b8b"] if r else 0)
        ax.bar([i + (c - (len(cols) - 1) / 2) * width for i in range(len(nets))], vals, width,
               label=_col_title(col))
    ax.axhline(2.0, color="k", lw=0.8, ls="--")
    ax.axhline(TARGET_SPEEDUP, color="r", lw=0.6, ls=":")
    ax.set_xticks(range(len(nets)), [n.title for n in nets], rotation=20)
    ax.set_ylabel("SPARQ 5opt speedup vs 8b-8b (same array)")
    ax.set_ylim(0.9, 2.1)
    ax.set_title(f"Whole-network speedup, batch {batch} (python -m workloads.networks)")
    ax.legend(fontsize=7, ncol=3, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _zero_share(meta) -> str:
    share = meta.get("rtl_zero_share")
    return "" if share is None else f", {100 * share:.0f}% of them zero"


def write_md(path: Path, meta: dict, records: list[dict], checks: list[dict],
             lanes_options: dict | None) -> None:
    batches = sorted({r["batch"] for r in records})
    big = 128 if any(r["rows"] == 128 for r in records) else max(r["rows"] for r in records)
    lines = [
        "# The paper's networks on real array sizes",
        "",
        f"Generated by `{meta['command']}` ({meta['date']}, {meta['seconds']:.0f} s); do not "
        "edit. JSON: `networks.json` (one record per network, input, batch, arch, design, "
        "size and array option, with per-layer records); plot: `networks.png`.",
        "",
        "Every Conv2d/Linear that quantization touches (the rules of `quantize_model`: the "
        "first layer stays FP32; a grouped layer is one GEMM per group) is mapped with "
        "`verif.runner.plan_gemm`, the formula every RTL run is checked against (below), and "
        "the layers run back to back. Networks: torchvision's definitions with random weights "
        "(shapes need no weights), ImageNet input size. The speedup is SPARQ 5opt against the "
        "8b-8b array of the same architecture, size and options; on the STC both run 2:4 "
        "weights. A layer whose input goes negative (A8W8 signed: MobileNetV2's post-add "
        "layers) runs at one activation a beat on the SPARQ and SySMT arrays (each paired "
        "with a zero: their exact lone-value path) and at the usual rate on the baselines.",
        "",
    ]
    for batch in batches:
        lines += [f"## Whole-network speedup, batch {batch}", "", speedup_table(records, batch),
                  ""]
    lines += [f"## The other SA baselines ({big}x{big}, batch {batches[-1]})", "",
              "Speedup against the 8b-8b SA of the same size (2x4b-8b runs 4-bit activations: "
              "its accuracy is another matter, see reports/accuracy.md).", "",
              baselines_table(records, big, batches[-1]), ""]
    lines += [f"## Where the speedup goes ({big}x{big} SA)", "",
              "Shares of each array's cycles (they add up to 100%): compute is `macs / peak`; "
              "tile fill the PEs idle in edge tiles (M or N per group not a multiple of the "
              "array); K padding the unfilled last beat; non-SPARQ layers the zero partners of "
              "A8W8-signed layers; drain-bound the idle cycles before tiles shorter than the "
              "drain (`beats < rows`: two `in_last` beats must be `rows` cycles apart); "
              "stream fill the pipeline's fill and drain, once per layer. Tile fill and "
              "padding cost both arrays the same share, so they do not move the speedup; the "
              "drain and the stream fill cost SPARQ (half the beats) twice the share, and "
              "that is the whole gap to 2x.", ""]
    for batch in batches:
        for design in ("5opt", "8b8b"):
            lines += [f"### {design}, batch {batch}", "",
                      losses_table(records, big, batch, design), ""]
        cf = []
        for net in NETWORKS:
            v = _without_drain(records, net.name, batch, big)
            if v is not None:
                cf.append(f"{net.title} {_x(v)}")
        lines += [f"Without the drain-bound cycles (both arrays), batch {batch}: "
                  + ", ".join(cf) + ".", ""]
    if lanes_options:
        opt_text = ", ".join(f"{k}={v}" for k, v in lanes_options.items())
        lines += [f"## With the drain-lane option ({opt_text})", "",
                  f"The same tables for the {big}x{big} SA built with `{opt_text}` "
                  "(docs/sa.md), SPARQ against the 8b-8b SA with the same option.", ""]
        for batch in batches:
            lines += [f"### 5opt, batch {batch}", "",
                      losses_table(records, big, batch, "5opt", lanes_options), ""]
        lines += ["### Targets", "", *[f"- {t}" for t in targets(records, lanes_options)], ""]
    lines += [f"## ResNet-50 layer by layer ({big}x{big} SA, batch {batches[0]})", "",
              layer_table(records, "resnet50", big, batches[0]), ""]
    lines += ["## Energy per inference (128x128 SA)", "",
              "A model from measured parts, not a measurement: each layer's MACs at the "
              "array's energy per MAC on the real stream of `make power` "
              "(reports/power.json), every other cycle of the layer (tile fill, padding, "
              "drain-bound gaps, stream fill) at the array's energy per cycle on zero "
              "activations; with drain lanes, each extra lane adds one drain deskew's energy "
              "per cycle. The per-MAC figures exclude what docs/power.md lists (\"What the "
              "per-MAC figures exclude\": the clock network's own switching, the switching of "
              "the array's input nets, wires, SRAM and buffers), and the Fashion-MNIST "
              "CNN's operand statistics stand for the network's.", ""]
    for batch in batches:
        lines += [f"### Batch {batch}", "", energy_table(records, batch), ""]
    lines += ["## RTL checks", "",
              "Sampled tiles (the first, the last and random others) of every distinct SPARQ "
              "layer shape of every network, run through the emitted Verilog "
              "(`verif.runner.run_gemm`, compiled Verilator harness) as one grouped GEMM per "
              "layer, every output against the golden model and the measured cycles against "
              "`plan_gemm`; and whole layers. Operands: the integer view of the random-init "
              "network quantized with 5opt on random (standard-normal) images: post-ReLU "
              f"codes{_zero_share(meta)}, but not trained weights.", "",
              rtl_table(checks) if checks else "(not run)", ""]
    path.write_text("\n".join(lines))
