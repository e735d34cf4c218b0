"""Accuracy of SPARQ on three Fashion-MNIST networks: reports/accuracy.{md,csv,json,png}.

    python -m workloads.accuracy [--models cnn,resnet,mobilenet] [--test-images N] ...

Evaluates the committed dense and 2:4-pruned networks (workloads/weights/) in
FP32, A8W8, A8W8 + SPARQ (every preset, rounding on and off; the pruned networks
with sparse-tensor-core pairing) and uniform A4/A3/A2, on the 10,000 test
images; bootstrap intervals; the per-layer policy; per-layer activation
statistics; accuracy against the relative area of reports/area.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import hashlib
import json
import multiprocessing
import platform
import time
from pathlib import Path

import numpy as np

from golden.sparq import Config

from .._torch import torch
from ..data import DEBIAN_PACKAGE, data_dir
from ..models import MODELS
from ..models.train import weight_path
from ..progress import Progress
from . import stats as analysis
from .evaluate import (
    ROWS,
    Setting,
    correct,
    paper,
    quantized,
    records,
    row_config,
    test_set,
    trained,
)

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m workloads.accuracy"
_paper = paper


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _area_points(area: dict) -> dict:
    """Area per MAC relative to the 8b-8b design of the same kind, from reports/area.json.

    SA: the 128x128 array (``analysis.array``: PEs plus the trim-and-round units
    at the array edge).  TC and STC: one dot-product unit (``designs``, kinds
    ``tc_dp`` and ``stc_dp``); the STC unit holds its own trim-and-round units.
    """
    pts = {"SA": {}, "TC": {}, "STC": {}}
    arr = area.get("analysis", {}).get("array", {})
    for v, rec in arr.items():
        if "area_per_mac_rel" in rec:
            pts["SA"][v] = float(rec["area_per_mac_rel"])
    by_kind: dict[str, dict] = {}
    for rec in area.get("designs", []):
        if rec.get("macs_per_cycle"):
            per_mac = rec["area"] / rec["macs_per_cycle"]
            by_kind.setdefault(rec["kind"], {})[rec["variant"]] = per_mac
    for kind, label in (("sa_pe", "SA"), ("tc_dp", "TC"), ("stc_dp", "STC")):
        recs = by_kind.get(kind, {})
        if "8b8b" in recs and not pts[label]:        # SA: only if the array analysis is missing
            pts[label] = {v: a / recs["8b8b"] for v, a in recs.items()}
    return pts


def _hw_variant(rec: dict) -> str | None:
    if rec["name"] == "A8W8":
        return "8b8b"
    if rec["kind"] == "sparq":
        return f"{rec['opts']}opt"
    if rec["name"] == "uniform A4":
        return "2x4b8b"
    return None


PANELS = [("SA", False, "systolic array (128x128), dense"),
          ("TC", False, "tensor-core DP unit, dense"),
          ("STC", True, "sparse TC DP unit, 2:4-pruned")]


def plot(records: list[dict], area_pts: dict, path: Path, images: int = 10000) -> list[dict]:
    """Accuracy change vs FP32 against relative area per MAC, one row of panels per model;
    Pareto fronts marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in records))
    fig, axes = plt.subplots(len(models), 3, figsize=(16, 4.6 * len(models)), squeeze=False)
    fronts = []
    for row, model in zip(axes, models, strict=True):
        for ax, (hw, pruned, title) in zip(row, PANELS, strict=True):
            title = f"{MODELS[model].title}: {title}"
            pts, labels, recs = [], [], []
            for r in records:
                if r["model"] != model or r["pruned"] != pruned:
                    continue
                v = _hw_variant(r)
                if v is None or v not in area_pts.get(hw, {}):
                    continue
                pts.append((area_pts[hw][v], 100 * r["delta"]))
                labels.append(r["name"])
                recs.append(r)
            if not pts:
                ax.set_title(f"{title}\n(no area data)", fontsize=9)
                continue
            front = analysis.pareto_front(pts)
            fronts.append({"model": model, "hardware": hw, "pruned": pruned,
                           "front": [labels[i] for i in front],
                           "points": [{"name": labels[i], "area_per_mac_rel": pts[i][0],
                                       "delta_pp": pts[i][1]} for i in range(len(pts))]})
            span = max(p[0] for p in pts) - min(p[0] for p in pts) or 1.0
            labelled = sorted((p[0], n) for p, n in zip(pts, labels, strict=True)
                              if not n.endswith("trim"))
            order_of = {n: i for i, (_, n) in enumerate(labelled)}
            for (x, y), name, r in zip(pts, labels, recs, strict=True):
                lo, hi = 100 * r["delta_ci_low"], 100 * r["delta_ci_high"]
                trim = name.endswith("trim")
                color = ("tab:gray" if name == "A8W8" else "tab:red"
                         if name.startswith("uniform") else "tab:blue")
                xj = x + (0.006 * span if trim else 0.0)        # trim beside its +Round twin
                ax.errorbar([xj], [y], yerr=[[y - lo], [hi - y]], fmt="o", ms=5, capsize=2,
                            color=color, mfc="white" if trim else color, lw=0.8, alpha=0.9)
                if not trim:
                    left = order_of[name] % 2 == 0
                    ax.annotate(name.replace(" round", "").replace("uniform ", ""), (x, y),
                                textcoords="offset points", xytext=(-6, 6) if left else (8, -12),
                                ha="right" if left else "left", fontsize=7)
            fx = [pts[i][0] for i in front]
            fy = [pts[i][1] for i in front]
            ax.step(fx, fy, where="post", color="tab:green", lw=1.2, alpha=0.8,
                    label="Pareto front")
            ax.scatter(fx, fy, s=120, facecolors="none", edgecolors="tab:green", lw=1.5)
            ax.axhline(0, color="k", lw=0.5)
            ax.set_title(title, fontsize=9)
            ax.grid(alpha=0.3)
        row[0].set_ylabel("top-1 change vs FP32 (pp), 95% CI")
    for ax in axes[-1]:
        ax.set_xlabel("area per MAC relative to 8b-8b (same kind)")
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Fashion-MNIST, {images:,} test images: accuracy vs area per MAC "
                 "(blue: SPARQ, filled +Round, hollow Trim, drawn just right of its twin; red: "
                 "uniform A4 on the 2x4b-8b design; grey: A8W8 on 8b-8b; green: Pareto front "
                 "of the point estimates)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return fronts


def _pp(v, sign=True):
    return "-" if v is None else (f"{100 * v:+.2f}" if sign else f"{100 * v:.2f}")


def _ci(lo, hi):
    return f"[{100 * lo:+.2f}, {100 * hi:+.2f}]"


def _mark(r) -> str:
    return (" **\\*\\***" if r.get("significant_holm_vs_a8w8") else
            " **\\***" if r.get("significant_vs_a8w8") else "")


def _section_title(model: str, pruned: bool) -> str:
    return (f"{MODELS[model].title}: "
            + ("2:4-pruned, sparse-tensor-core pairing" if pruned else "dense"))


def _summary(records: list[dict], models: list[str]) -> list[str]:
    cols = [(m, p) for m in models for p in (False, True)]
    head = "| configuration | " + " | ".join(
        f"{m} {'2:4 STC' if p else 'dense'}" for m, p in cols) + " |"
    lines = [head, "|---|" + "---:|" * len(cols)]
    by = {(r["model"], r["pruned"], r["name"]): r for r in records}
    for name in ["FP32"] + [row[0] for row in ROWS]:
        cells = []
        for m, p in cols:
            r = by.get((m, p, name))
            if r is None:
                cells.append("")
            elif name == "FP32":
                cells.append(f"{100 * r['accuracy']:.2f}%")
            else:
                cells.append(f"{_pp(r['delta'])}{_mark(r)}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def write_md(path: Path, meta: dict, records: list[dict], layers: dict, stc_pairs: dict,
             fronts: list[dict], policies: dict) -> None:
    models = meta["models"]
    L = []
    a = L.append
    a("# Accuracy of SPARQ on three Fashion-MNIST networks\n")
    a(f"Generated by `{meta['command']}` (from the repository root; "
      f"{meta['seconds_total'] / 60:.0f} min on this machine); do not edit by hand. How it "
      f"works and how to point the same code at another model: "
      f"[docs/workloads.md](../docs/workloads.md).\n")
    a("## Set-up\n")
    a(f"- Data set: Fashion-MNIST test set, {meta['test_images']:,} images, from the Debian "
      f"package `{DEBIAN_PACKAGE}` (`{meta['data_dir']}`).")
    for m in models:
        info = meta["model_info"][m]
        a(f"- `{m}`: `workloads.models.fmnist.{MODELS[m].cls}`, {MODELS[m].title}, "
          f"{info['params']:,} parameters, {info['quantized']} quantized layers "
          f"({info['policy_counts']}); trained by `python -m workloads.train --model {m}` "
          f"(seed {info['train_seed']}); weights `workloads/weights/{MODELS[m].dense_file}` "
          f"(sha256 {info['sha_dense']}) and the 2:4-pruned, fine-tuned "
          f"`workloads/weights/{MODELS[m].pruned_file}` (sha256 {info['sha_pruned']}).")
    a("- Quantization (paper section 5, authors' QuantConv2d): the first layer intact (FP32); "
      "every other Conv2d and Linear: activations unsigned 8-bit per layer, range = mean over "
      "the calibration images of each image's maximum; weights signed 8-bit per output "
      "channel (symmetric min-max); bias 8-bit per layer.  A layer whose calibration inputs "
      "go below zero (the MobileNet-style blocks' linear outputs) runs A8W8 with signed codes "
      "in every row (SPARQ needs unsigned codes; uniform rows: signed A4/A3/A2).  SPARQ pairs "
      "adjacent input channels at the same kernel tap (im2col K order, channels innermost), "
      "within a group for a grouped layer (a depthwise layer: neighbouring taps).  Pruned "
      "models: every quantized layer 2:4-pruned, sparse-tensor-core pairing (the activations "
      "selected by a group's non-zero weights, per output channel; SPARQ.md section 5).  "
      "BatchNorm statistics recalibrated on the calibration set through each quantized model.")
    a(f"- Calibration set: {meta['calibration_images']:,} training images drawn without "
      f"replacement with seed {meta['calibration_seed']}.")
    a(f"- Noise: {meta['bootstrap']:,} bootstrap resamples of the test images (seed "
      f"{meta['bootstrap_seed']}), percentile 95% intervals; differences are paired (same "
      f"resamples).  McNemar: exact two-sided test against A8W8 on the same images, Holm's "
      f"correction over the {len(ROWS) - 1} comparisons of each table.")
    times = ", ".join(f"{m} {meta['eval_seconds'][m]['dense']:.1f} s dense / "
                      f"{meta['eval_seconds'][m]['stc']:.1f} s STC" for m in models)
    a(f"- Run time: {meta['seconds_total'] / 60:.1f} min in total ({meta['workers']} worker "
      f"processes x {meta['threads']} thread(s)); one SPARQ configuration on "
      f"{meta['test_images']:,} images, BatchNorm recalibration included (median): {times}; "
      f"PyTorch {meta['torch']}, Python {meta['python']}.\n")

    a("## Summary\n")
    a("Top-1 change vs FP32 of the same network, percentage points (FP32 row: accuracy). "
      "\\* the paired-bootstrap interval of the change vs A8W8 excludes zero; \\*\\* also "
      "significant by McNemar after Holm's correction.  Intervals and tests: the tables "
      "below.\n")
    L.extend(_summary(records, models))
    a("")

    a("## Per-layer policy\n")
    a("What quantization does with every Conv2d and Linear (`qmodel.sparq_policy`; "
      "`workloads.gemm_shapes` lists the same from an input shape).  GEMM shape of one image: "
      "M x K (per group) x N.\n")
    for m in models:
        a(f"### {MODELS[m].title} (`{m}`)\n")
        a("| layer | kind | M x K x N | groups | policy | why |")
        a("|---|---|---|---:|---|---|")
        for s in policies[m]:
            a(f"| {s['name']} | {s['kind']} | {s['m']} x {s['k']} x {s['n']} | {s['groups']} | "
              f"{s['policy']} | {s['reason']} |")
        a("")

    for m in models:
        for pruned in (False, True):
            recs = [r for r in records if r["model"] == m and r["pruned"] == pruned]
            fp = next(r for r in recs if r["name"] == "FP32")
            a(f"## {_section_title(m, pruned)}\n")
            if pruned:
                a("Paper columns: Table 5 (2:4-pruned ResNet-18 / ResNet-50, change vs the "
                  "pruned FP32 model; A8W8 computed from its printed accuracies).\n")
            else:
                a("Paper columns: ResNet-18 / ResNet-50 on ImageNet, top-1 change vs FP32 as "
                  "printed (Table 1 for 5/3/2opt, Table 4 for 6opt and 7opt, whose rounding "
                  "the paper does not state; shown on the round rows).\n")
            a(f"FP32 accuracy {100 * fp['accuracy']:.2f}% [{100 * fp['ci_low']:.2f}, "
              f"{100 * fp['ci_high']:.2f}].\n")
            a("| configuration | accuracy % [95% CI] | change vs FP32, pp [95% CI] | change vs "
              "A8W8, pp [95% CI] | McNemar p vs A8W8 | paper R-18 | paper R-50 | table |")
            a("|---|---|---|---|---|---|---|---|")
            for r in recs:
                vs8 = "-" if r["name"] in ("FP32", "A8W8") else (
                    f"{_pp(r['delta_a8w8'])} "
                    f"{_ci(r['delta_a8w8_ci_low'], r['delta_a8w8_ci_high'])}{_mark(r)}")
                p = "-" if r["name"] in ("FP32", "A8W8") else f"{r['mcnemar_p_vs_a8w8']:.2g}"
                d = "-" if r["name"] == "FP32" else (
                    f"{_pp(r['delta'])} {_ci(r['delta_ci_low'], r['delta_ci_high'])}")
                pr18 = "-" if r.get("paper_resnet18") is None else f"{r['paper_resnet18']:+.2f}"
                pr50 = "-" if r.get("paper_resnet50") is None else f"{r['paper_resnet50']:+.2f}"
                a(f"| {r['name']} | {100 * r['accuracy']:.2f} [{100 * r['ci_low']:.2f}, "
                  f"{100 * r['ci_high']:.2f}] | {d} | {vs8} | {p} | {pr18} | {pr50} | "
                  f"{r.get('paper_table') or '-'} |")
            a("")
            a("\\* the 95% paired-bootstrap interval of the change vs A8W8 excludes zero; "
              "\\*\\* also significant by McNemar after Holm's correction for the "
              f"{len(recs) - 2} comparisons with A8W8 in this table.\n")

    a("## Which differences are significant\n")
    for m in models:
        for pruned in (False, True):
            recs = [r for r in records if r["model"] == m and r["pruned"] == pruned
                    and r["name"] != "FP32"]
            a8 = next(r for r in recs if r["name"] == "A8W8")
            sig = [r for r in recs if r.get("significant_vs_a8w8")]
            holm_sig = [r for r in recs if r.get("significant_holm_vs_a8w8")]
            non = [r for r in recs if r["name"] != "A8W8" and not r.get("significant_vs_a8w8")]
            vs_fp = [r for r in recs if r.get("significant_vs_fp32")]
            sig_list = ", ".join(f"{r['name']} ({_pp(r['delta_a8w8'])} pp)" for r in sig)
            holm_list = ", ".join(f"{r['name']} ({_pp(r['delta_a8w8'])} pp)" for r in holm_sig)
            a(f"- {_section_title(m, pruned)}: A8W8 vs FP32 {_pp(a8['delta'])} pp "
              f"{_ci(a8['delta_ci_low'], a8['delta_ci_high'])} "
              f"({'significant' if a8.get('significant_vs_fp32') else 'not significant'}).  "
              f"Bootstrap interval vs A8W8 excludes zero: {sig_list or 'none'}.  Of these, "
              f"significant after Holm's correction: {holm_list or 'none'}.  Within noise of "
              f"A8W8: {', '.join(r['name'] for r in non) or 'none'}.  Significantly different "
              f"from FP32: {', '.join(r['name'] for r in vs_fp) or 'none'}.")
    a(f"\nOne test image is {100 / meta['test_images']:.2f} pp.  A single accuracy near 90% has "
      f"a standard error of about {100 * np.sqrt(0.9 * 0.1 / meta['test_images']):.2f} pp, so the "
      f"absolute intervals overlap everywhere; the paired intervals are much tighter because "
      f"most images are classified the same way by both configurations.  With "
      f"{len(ROWS) - 1} comparisons per table at 95%, about one interval in twenty excludes "
      f"zero by chance: treat a lone uncorrected * with care.\n")

    a("## Per-layer activation statistics\n")
    a(f"A8W8 input codes of the quantized layers with unsigned inputs (the SPARQ layers), over "
      f"{meta['stats_images']:,} test images, as the hardware sees them (the im2col matrix, "
      f"zero padding included, for convolutions). Pair = two adjacent K positions of one "
      f"group (SPARQ.md section 4): adjacent input channels at one tap, or, in a depthwise "
      f"layer (`groups` = channels), two neighbouring taps. Bit toggles are over the non-zero "
      f"codes; value ranges are over the codes that bSPARQ trims (both members of the pair "
      f"non-zero).  For 4-bit SPARQ a trimmed code is not in the narrowest window [3:0] "
      f"exactly when x >= 16 (100% minus the <16 column), and it is in the top window [7:4] "
      f"when x >= 16 for 2opt, x >= 64 for 3opt, x >= 128 for 4opt and 5opt.\n")
    for m in models:
        for pruned in (False, True):
            rows = layers[m]["pruned" if pruned else "dense"]
            a(f"### {_section_title(m, pruned)}\n")
            head = ("| layer | groups | K | zero | pairs with a zero | both non-zero | bit 7 | "
                    "bit 6 | bit 5 | bit 4 | bSPARQ'd <16 | 16-63 | 64-127 | >=128 |")
            if pruned:
                head += " STC-selected pairs with a zero |"
            a(head)
            a("|" + "---|" * (head.count("|") - 1))
            for r in rows:
                bt, rs = r["bit_toggle_share"], r["bsparq_range_share"]
                line = (f"| {r['layer']} | {r['groups']} | {r['K']} | "
                        f"{100 * r['zero_share']:.1f}% | "
                        f"{100 * r['pair_any_zero_share']:.1f}% | "
                        f"{100 * r['pair_both_nonzero_share']:.1f}% | "
                        + " | ".join(f"{100 * bt[f'bit{b}']:.1f}%" for b in (7, 6, 5, 4))
                        + " | " + " | ".join(f"{100 * rs[k]:.1f}%"
                                             for k in ("<16", "16-63", "64-127", ">=128"))
                        + " |")
                if pruned:
                    line += f" {100 * stc_pairs[m][r['layer']]['pair_any_zero_share']:.1f}% |"
                a(line)
            a("")
            if not rows:
                continue
            keys = list(rows[0]["sparq"])
            a("Relative RMS error that SPARQ adds to the layer's input codes "
              "(sqrt(sum (approx - x)^2 / sum x^2), dense pairing):\n")
            a("| layer | " + " | ".join(keys) + " |")
            a("|---|" + "---|" * len(keys))
            for r in rows:
                a(f"| {r['layer']} | " + " | ".join(
                    f"{100 * r['sparq'][k]['rel_rms_error']:.2f}%" for k in keys) + " |")
            a("")

    a("### Why 2opt loses accuracy (paper section 5.1)\n")
    dense = layers[models[0]]["dense"]
    parts = []
    for r in dense:
        rs, bt, sp = r["bsparq_range_share"], r["bit_toggle_share"], r["sparq"]
        parts.append(f"{r['layer']}: {100 * (1 - rs['<16']):.0f}% of the trimmed codes are >= "
                     f"16, {100 * rs['16-63']:.0f}% lie in 16..63, while bit 7 is set in "
                     f"{100 * bt['bit7']:.1f}% and bit 6 in {100 * bt['bit6']:.1f}% of the "
                     f"non-zero codes; error 2opt {100 * sp['2opt']['rel_rms_error']:.1f}% vs "
                     f"3opt {100 * sp['3opt']['rel_rms_error']:.1f}% and 5opt "
                     f"{100 * sp['5opt']['rel_rms_error']:.1f}% (+Round)")
    a("A trimmed code x >= 16 has a one among bits 7..4, so 2opt, whose only windows are [3:0] "
      "and [7:4], must take [7:4]: it drops four low bits and keeps only 1 (x in 16..31) or 2 "
      "(x in 32..63) significant bits, although the two top bits are seldom set.  3opt puts "
      "[5:2] there (3 or 4 significant bits) and 5opt the window right under the leading one "
      "(always 4).  This is the paper's observation (ResNet-18: bits 7, 6, 5, 4 set in 0.5%, "
      f"9.2%, 33.8%, 44.8% of the non-zero activations).  Here, {models[0]}, dense: "
      + "; ".join(parts) + ".")
    cut = [1 - r["sparq"][k]["rel_rms_error"] / r["sparq"][k + "-trim"]["rel_rms_error"]
           for m in models for r in layers[m]["dense"] for k in ("2opt", "3opt", "5opt")
           if r["sparq"][k + "-trim"]["rel_rms_error"]]
    a(f"+Round cuts the RMS error of the trimmed codes by "
      f"{100 * min(cut):.0f}-{100 * max(cut):.0f}% over the SPARQ layers of the three "
      f"networks (round to nearest instead of truncation; the paper finds it matters most for "
      f"2opt).\n")

    def verdict(r):
        ci = _ci(r["delta_a8w8_ci_low"], r["delta_a8w8_ci_high"])
        word = ("significant after Holm's correction" if r["significant_holm_vs_a8w8"] else
                "interval excludes zero, not significant after Holm's correction"
                if r["significant_vs_a8w8"] else "within noise")
        return f"{_pp(r['delta_a8w8'])} pp {ci}, {word}"

    for m in models:
        by = {r["name"]: r for r in records if r["model"] == m and not r["pruned"]}
        four = [n for n in by if by[n]["kind"] == "sparq" and by[n]["opts"] in (2, 3, 4, 5)]
        worst = min(four, key=lambda n: by[n]["accuracy"])
        helps = [o for o in (2, 3, 4, 5, 6, 7)
                 if by[f"{o}opt round"]["accuracy"] >= by[f"{o}opt trim"]["accuracy"]]
        a(f"- {MODELS[m].title}, vs A8W8: 2opt trim {verdict(by['2opt trim'])}; 2opt round "
          f"{verdict(by['2opt round'])}; 5opt round {verdict(by['5opt round'])}; 7opt round "
          f"{verdict(by['7opt round'])}; uniform A4 {verdict(by['uniform A4'])}; uniform A2 "
          f"{verdict(by['uniform A2'])}.  The worst 4-bit SPARQ row is {worst}; +Round is at "
          f"least as accurate as Trim for {len(helps)} of 6 presets.")
    a("\nThe gaps are far smaller than the paper's ImageNet ones and mostly within noise: "
      "small networks on Fashion-MNIST tolerate activation noise that costs a ResNet-18 "
      "1.6-2.9 points (2opt).  The activation statistics that make 2opt lossy are the "
      "paper's; these models damp their effect on the output.\n")
    a("## Accuracy against area\n")
    a("![accuracy vs area](accuracy.png)\n")
    a("x: area per MAC relative to the 8b-8b design of the same kind, from "
      "`reports/area.json` (`make area`). Per MAC, because every SPARQ design (and 2x4b-8b) "
      "does two MACs a cycle per PE or multiplier slot where 8b-8b does one: at the same "
      "throughput the SPARQ array needs half the PEs. SA: the whole 128x128 array "
      "(`analysis.array[*].area_per_mac_rel`, trim-and-round units at the array edge "
      "included); TC: one dot-product unit (`designs`, kind `tc_dp`, area / MACs per cycle; "
      "trim-and-round units outside it); STC: one sparse dot-product unit (`stc_dp`, "
      "trim-and-round units inside).  y: top-1 change vs FP32 of the same model with the 95% "
      "paired-bootstrap interval.  Uniform A4 sits on the 2x4b-8b design; A3/A2 have no "
      "smaller design in area.json and are left out of the plot. Trim and +Round share a "
      "design.  The area is the SPARQ design's: a network's A8W8-signed layers would need an "
      "8-bit path beside it (reports/layers.md runs them on the 8b-8b array).  The fronts "
      "are those of the point estimates: most points are within noise of each other.\n")
    for f in fronts:
        hw = {"SA": "systolic array", "TC": "tensor core",
              "STC": "sparse tensor core"}[f["hardware"]]
        a(f"- Pareto front, {f['model']}, {hw}{' (pruned model)' if f['pruned'] else ''}: "
          + " -> ".join(f["front"]) + ".")
    a("")
    a("Files: `reports/accuracy.json` (one record per row: `model`, `name`, `pruned`, "
      "`accuracy`, `delta` = accuracy - FP32 of the same model, both fractions; the intervals "
      "`ci_low`/`ci_high` and `delta_ci_low`/`delta_ci_high`; the change vs A8W8, its interval "
      "and McNemar p; configuration fields; the paper's figures), `reports/accuracy.csv` (the "
      "same records), `reports/accuracy.png`, and `reports/accuracy.layers.json` (run "
      "metadata, per-layer policy and statistics, the plotted points and Pareto fronts).\n")
    path.write_text("\n".join(L))


# ------------------------------------------------------------------ the command

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS),
                   help=f"comma-separated subset of {','.join(MODELS)} (default: all)")
    p.add_argument("--test-images", type=int, default=10000)
    p.add_argument("--calibration-images", type=int, default=2048)
    p.add_argument("--calibration-seed", type=int, default=0)
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--bootstrap-seed", type=int, default=0)
    p.add_argument("--stats-images", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2,
                   help="evaluations at once, in worker processes (default 2)")
    p.add_argument("--threads", type=int, default=1, help="torch threads a worker (default 1)")
    p.add_argument("--out-dir", type=Path, default=ROOT / "reports")
    p.add_argument("--area", type=Path, default=ROOT / "reports" / "area.json")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite accuracy.md and .png from the last run's JSON files in --out-dir")
    p.add_argument("--cache", action="store_true",
                   help="reuse the calibration statistics and FP32/A8W8 results kept in "
                        "build/accuracy-cache by earlier runs or evaluate_config")
    return p


def _policy_rows(model: str, x, setting: Setting) -> list[dict]:
    """Every Conv2d/Linear of a network with its one-image GEMM shape and its policy in the
    report's quantized models (from the calibration set)."""
    from ..quant.shapes import gemm_shapes
    qm_policy = quantized(model, Config.preset(5), setting).sparq_policy
    out = []
    for s in gemm_shapes(trained(model, False), x[:1]):
        pol = qm_policy[s.name]
        out.append({**s.as_dict(), "policy": pol.policy, "reason": pol.reason})
    return out



#: Relative cost of one evaluation (for the worker pool's longest-first order).
_COST = {"mobilenet": 8.0, "resnet": 2.0, "cnn": 1.0}


def _row_job(model: str, pruned: bool, row: tuple, setting: Setting, threads: int,
             cache: bool):
    """One row of one network (a worker): ``(model, pruned, name, cfg, bits, correct, s)``."""
    torch.set_num_threads(threads)
    name, opts, rnd, bits = row
    x, y = test_set(setting.test_images)
    t0 = time.perf_counter()
    if name == "FP32":
        corr, cfg = correct(trained(model, pruned), x, y), None
    else:
        cfg = row_config(opts, rnd)
        corr = correct(quantized(model, cfg, setting, act_bits=bits, stc=pruned, cache=cache),
                       x, y)
    return model, pruned, name, cfg, bits, corr, time.perf_counter() - t0


def _stats_job(model: str, pruned: bool, setting: Setting, stats_images: int, threads: int,
               cache: bool):
    """The per-layer statistics of one network (a worker)."""
    torch.set_num_threads(threads)
    x, _ = test_set(setting.test_images)
    cfgs = {f"{o}opt{'' if r else '-trim'}": Config.preset(o, r)
            for o in (5, 4, 3, 2, 6, 7) for r in (True, False)}
    a8m = quantized(model, None, setting, stc=pruned, cache=cache)
    layer = analysis.layer_stats(a8m, x[:stats_images], cfgs)
    pairs = analysis.stc_pair_stats(a8m, x[:stats_images]) if pruned else None
    policy = _policy_rows(model, x, setting) if not pruned else None
    return model, pruned, layer, pairs, policy


def _rewrite(out_dir: Path, area_path: Path) -> int:
    recs = json.loads((out_dir / "accuracy.json").read_text())
    side = json.loads((out_dir / "accuracy.layers.json").read_text())
    area = json.loads(area_path.read_text()) if area_path.exists() else {}
    fronts = plot(recs, _area_points(area), out_dir / "accuracy.png", side["meta"]["test_images"])
    write_md(out_dir / "accuracy.md", side["meta"], recs, side["layers"], side["stc_pairs"],
             fronts, side["policy"])
    print(f"rewrote {out_dir}/accuracy.{{md,png}}")
    return 0


def main(argv=None) -> int:
    p = parser()
    a = p.parse_args(argv)
    if a.report_only:
        if not (a.out_dir / "accuracy.layers.json").is_file():
            p.error(f"--report-only: no earlier run's JSON in {a.out_dir}")
        return _rewrite(a.out_dir, a.area)
    models = [s.strip() for s in a.models.split(",") if s.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        p.error(f"--models {a.models!r}: choose from {', '.join(MODELS)}")
    try:
        setting = Setting(a.test_images, a.calibration_images, a.calibration_seed,
                          a.bootstrap, a.bootstrap_seed)
    except ValueError as e:
        p.error(str(e))
    if a.threads < 1 or a.stats_images < 1 or a.workers < 1:
        p.error("--threads, --workers and --stats-images must be at least 1")
    if a.test_images > 10000 or a.calibration_images > 60000:
        p.error("--test-images is at most 10000 and --calibration-images at most 60000")
    t_start = time.time()
    test_set(a.test_images)                          # fails early, naming the Debian package
    rows = [("FP32", None, None, 32), *ROWS]
    jobs = [("row", m, pr, r) for m in models for pr in (False, True) for r in rows]
    jobs += [("stats", m, pr, None) for m in models for pr in (False, True)]
    jobs.sort(key=lambda j: -_COST[j[1]] * (3 if j[2] else 1) * (2 if j[0] == "stats" else 1))
    done_rows, stat_out = {}, {}
    times = {m: {"dense": [], "stc": []} for m in models}

    def submit(pool, job):
        kind, m, pr, r = job
        if kind == "row":
            return pool.submit(_row_job, m, pr, r, setting, a.threads, a.cache)
        return pool.submit(_stats_job, m, pr, setting, a.stats_images, a.threads, a.cache)

    with Progress(len(jobs), "accuracy", unit="eval") as bar:
        bar.write(f"{len(models)} networks x 2 (dense, 2:4) x {len(rows)} rows and their "
                  f"statistics on {a.test_images:,} images: {len(jobs)} jobs, {a.workers} "
                  f"workers x {a.threads} thread(s)")

        def collect(out):
            if len(out) == 7:
                m, pr, name, cfg, bits, corr, secs = out
                done_rows[m, pr, name] = (name, cfg, bits, corr)
                if cfg is not None:
                    times[m]["stc" if pr else "dense"].append(secs)
                bar.update(1, note=f"{m} {'2:4' if pr else 'dense'} {name} "
                                   f"{100 * corr.mean():.2f}% ({secs:.0f} s)")
            else:
                m, pr, layer, pairs, policy = out
                stat_out[m, pr] = (layer, pairs, policy)
                bar.update(1, note=f"{m} {'2:4' if pr else 'dense'} layer statistics")

        if a.workers == 1:
            class _Now:                                 # the pool's interface, in process
                def submit(self, fn, *args):
                    return fn(*args)
            for job in jobs:
                collect(submit(_Now(), job))
        else:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=a.workers, mp_context=ctx) as pool:
                for fut in cf.as_completed([submit(pool, job) for job in jobs]):
                    collect(fut.result())

    recs, layers, stc_pairs, policies, info = [], {}, {}, {}, {}
    for m in models:
        layers[m] = {}
        for pr in (False, True):
            recs += records(m, pr, [done_rows[m, pr, r[0]] for r in rows], setting)
            layer, pairs, policy = stat_out[m, pr]
            layers[m]["pruned" if pr else "dense"] = layer
            if pr:
                stc_pairs[m] = pairs
            else:
                policies[m] = policy
        dense = trained(m, False)
        counts = {}
        for s in policies[m]:
            counts[s["policy"]] = counts.get(s["policy"], 0) + 1
        info[m] = {
            "params": sum(q.numel() for q in dense.parameters()),
            "quantized": sum(s["policy"] != "FP32" for s in policies[m]),
            "policy_counts": ", ".join(f"{v} {k}" for k, v in counts.items()),
            "train_seed": dense.meta.get("train", {}).get("seed"),
            "sha_dense": _sha(weight_path(m, False)), "sha_pruned": _sha(weight_path(m, True)),
        }

    area = json.loads(a.area.read_text()) if a.area.exists() else {}
    area_pts = _area_points(area)
    a.out_dir.mkdir(parents=True, exist_ok=True)
    fronts = plot(recs, area_pts, a.out_dir / "accuracy.png", a.test_images)
    meta = {
        "command": " ".join([COMMAND, *(argv if argv is not None else [])]).strip(),
        "models": models, "model_info": info,
        "test_images": a.test_images, "data_dir": str(data_dir()),
        "calibration_images": a.calibration_images, "calibration_seed": a.calibration_seed,
        "bootstrap": a.bootstrap, "bootstrap_seed": a.bootstrap_seed,
        "stats_images": min(a.stats_images, a.test_images), "threads": a.threads,
        "workers": a.workers,
        "eval_seconds": {m: {k: float(np.median(v)) if v else 0.0 for k, v in t.items()}
                         for m, t in times.items()},
        "torch": torch.__version__, "python": platform.python_version(),
        "seconds_total": time.time() - t_start,
    }
    write_md(a.out_dir / "accuracy.md", meta, recs, layers, stc_pairs, fronts, policies)
    (a.out_dir / "accuracy.json").write_text(json.dumps(recs, indent=1) + "\n")
    (a.out_dir / "accuracy.layers.json").write_text(json.dumps(
        {"meta": meta, "policy": policies, "layers": layers, "stc_pairs": stc_pairs,
         "pareto": fronts, "area_points": area_pts}, indent=1) + "\n")
    with open(a.out_dir / "accuracy.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(recs[0]))
        w.writeheader()
        w.writerows(recs)
    print(f"wrote {a.out_dir}/accuracy.{{md,csv,json,png}} in {meta['seconds_total']:.0f} s")
    return 0
