"""Accuracy of SPARQ on the Fashion-MNIST CNN: reports/accuracy.{md,csv,json,png}.

    python -m workloads.accuracy

Evaluates the committed dense and 2:4-pruned models (workloads/weights/) in
FP32, A8W8, A8W8 + SPARQ (every preset, rounding on and off; the pruned model
with sparse-tensor-core pairing) and uniform A4/A3/A2, on the 10,000 test
images; bootstrap intervals; per-layer activation statistics; accuracy against
the relative area of reports/area.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import platform
import time
from pathlib import Path

import numpy as np

from golden.sparq import Config

from . import analysis
from ._torch import NATIVE_BRIDGE, from_numpy, to_numpy, torch
from .data import DEBIAN_PACKAGE, calibration_batches, data_dir, load_fashion_mnist, to_tensor
from .quant import calibrate, quantize_model
from .train import DENSE_FILE, PRUNED_FILE, WEIGHTS_DIR, load

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python -m workloads.accuracy"

#: (name, opts or None, rounding, uniform activation bits)
ROWS = [("A8W8", None, None, 8)]
for _o in (5, 4, 3, 2, 6, 7):
    ROWS += [(f"{_o}opt round", _o, True, 8), (f"{_o}opt trim", _o, False, 8)]
ROWS += [(f"uniform A{b}", None, None, b) for b in (4, 3, 2)]

# The paper's figures (top-1 change vs FP32, percentage points, as printed).
# Table 1: 5opt/3opt/2opt, Trim and +Round; Table 4: 6opt (3-bit), 7opt (2-bit);
# Table 5: 2:4-pruned models on a sparse tensor core (FP32, A8W8, 5/3/2opt, 6opt, 7opt).
PAPER_DENSE = {
    "ResNet-18": {"5opt trim": -0.11, "5opt round": -0.07, "3opt trim": -0.22,
                  "3opt round": -0.14, "2opt trim": -2.87, "2opt round": -1.64,
                  "6opt round": -0.21, "7opt round": -1.64},
    "ResNet-50": {"5opt trim": -0.03, "5opt round": -0.05, "3opt trim": -0.41,
                  "3opt round": -0.18, "2opt trim": -4.18, "2opt round": -2.18,
                  "6opt round": -0.59, "7opt round": -2.34},
}
PAPER_PRUNED = {
    "ResNet-18": {"FP32": 69.77, "A8W8": 69.69, "5opt round": -0.13, "3opt round": -0.34,
                  "2opt round": -1.59, "6opt round": -0.41, "7opt round": -1.92},
    "ResNet-50": {"FP32": 76.16, "A8W8": 76.17, "5opt round": -0.24, "3opt round": -0.57,
                  "2opt round": -2.59, "6opt round": -0.85, "7opt round": -3.18},
}
PAPER_TABLE = {"5opt": "Table 1", "3opt": "Table 1", "2opt": "Table 1",
               "6opt": "Table 4", "7opt": "Table 4"}


def _paper(name: str, pruned: bool) -> dict:
    """The paper's change vs FP32 for this row (pp, as printed), ResNet-18 and -50."""
    src = PAPER_PRUNED if pruned else PAPER_DENSE
    if name == "FP32":
        vals = dict.fromkeys(src)
    elif name == "A8W8" and pruned:         # Table 5 prints accuracies
        vals = {m: round(v["A8W8"] - v["FP32"], 2) for m, v in src.items()}
    else:
        vals = {m: v.get(name) for m, v in src.items()}
    out = {f"paper_{m.lower().replace('-', '')}": v for m, v in vals.items()}
    has = any(v is not None for v in vals.values())
    table = "Table 5" if pruned else PAPER_TABLE.get(name.split()[0])
    out["paper_table"] = table if has else None
    return out


def holm(pvalues: list[float]) -> list[bool]:
    """Holm-Bonferroni at 5%: which hypotheses are rejected."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    reject = [False] * len(pvalues)
    m = len(pvalues)
    for rank, i in enumerate(order):
        if pvalues[i] <= 0.05 / (m - rank):
            reject[i] = True
        else:
            break
    return reject


@torch.no_grad()
def predict(model, x, batch: int = 1000) -> torch.Tensor:
    return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, x.shape[0], batch)])


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


def plot(records: list[dict], area_pts: dict, path: Path, images: int = 10000) -> list[dict]:
    """Accuracy change vs FP32 against relative area per MAC; Pareto fronts marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("SA", False, "Systolic array (128x128), dense model"),
              ("TC", False, "Tensor-core DP unit, dense model"),
              ("STC", True, "Sparse TC DP unit, 2:4-pruned model")]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.6), sharey=False)
    fronts = []
    for ax, (hw, pruned, title) in zip(axes, panels, strict=True):
        pts, labels, recs = [], [], []
        for r in records:
            if r["pruned"] != pruned:
                continue
            v = _hw_variant(r)
            if v is None or v not in area_pts.get(hw, {}):
                continue
            pts.append((area_pts[hw][v], 100 * r["delta"]))
            labels.append(r["name"])
            recs.append(r)
        if not pts:
            ax.set_title(f"{title}\n(no area data)")
            continue
        front = analysis.pareto_front(pts)
        fronts.append({"hardware": hw, "pruned": pruned,
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
            color = ("tab:gray" if name == "A8W8" else "tab:red" if name.startswith("uniform")
                     else "tab:blue")
            xj = x + (0.006 * span if trim else 0.0)        # trim beside its +Round twin
            ax.errorbar([xj], [y], yerr=[[y - lo], [hi - y]], fmt="o", ms=6, capsize=2,
                        color=color, mfc="white" if trim else color, lw=0.8, alpha=0.9)
            if not trim:
                left = order_of[name] % 2 == 0
                ax.annotate(name.replace(" round", "").replace("uniform ", ""), (x, y),
                            textcoords="offset points", xytext=(-6, 6) if left else (8, -12),
                            ha="right" if left else "left", fontsize=8)
        fx = [pts[i][0] for i in front]
        fy = [pts[i][1] for i in front]
        ax.step(fx, fy, where="post", color="tab:green", lw=1.2, alpha=0.8, label="Pareto front")
        ax.scatter(fx, fy, s=140, facecolors="none", edgecolors="tab:green", lw=1.5)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("area per MAC relative to 8b-8b (same kind)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("top-1 change vs FP32 (percentage points), 95% CI")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Fashion-MNIST CNN, {images:,} test images: accuracy vs area per MAC\n"
                 "(blue: SPARQ, "
                 "filled +Round, hollow Trim, drawn just right of its twin; red: uniform A4 on "
                 "the 2x4b-8b design; grey: A8W8 on 8b-8b; green: Pareto front of the point "
                 "estimates)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return fronts


def _pp(v, sign=True):
    return "-" if v is None else (f"{100 * v:+.2f}" if sign else f"{100 * v:.2f}")


def _ci(lo, hi):
    return f"[{100 * lo:+.2f}, {100 * hi:+.2f}]"


def write_md(path: Path, meta: dict, records: list[dict], layers: dict, stc_pairs: dict,
             fronts: list[dict]) -> None:
    L = []
    a = L.append
    a("# Accuracy of SPARQ on a small CNN (Fashion-MNIST)\n")
    a(f"Generated by `{meta['command']}` (from the repository root; about "
      f"{meta['seconds_total']:.0f} s on this machine); do not edit by hand. How it works and "
      f"how to "
      f"point the same code at another model: [docs/workloads.md](../docs/workloads.md).\n")
    a("## Set-up\n")
    a(f"- Data set: Fashion-MNIST test set, {meta['test_images']:,} images, from the Debian "
      f"package "
      f"`{DEBIAN_PACKAGE}` (`{meta['data_dir']}`).")
    a(f"- Model: `workloads.model.FmnistCNN` (conv 1->16, conv 16->32 /2, conv 32->64 /2, each "
      f"3x3 + ReLU, then linear 3136->10; {meta['params']:,} parameters), trained by "
      f"`python -m workloads.train` (seed {meta['train_seed']}); weights "
      f"`workloads/weights/{DENSE_FILE}` (sha256 {meta['sha_dense']}) and the 2:4-pruned, "
      f"fine-tuned `workloads/weights/{PRUNED_FILE}` (sha256 {meta['sha_pruned']}).")
    a("- Quantization (paper section 5, authors' QuantConv2d): conv1 intact (FP32); conv2, conv3 "
      "and fc: activations unsigned 8-bit per layer, range = mean over the calibration images "
      "of "
      "each image's maximum; weights signed 8-bit per output channel (symmetric min-max); bias "
      "8-bit per layer.  SPARQ pairs adjacent input channels at the same kernel tap (im2col K "
      "order, channels innermost).  Pruned model: sparse-tensor-core pairing (the activations "
      "selected by a group's non-zero weights, per output channel; SPARQ.md section 5).")
    a(f"- Calibration set: {meta['calibration_images']:,} training images drawn without "
      f"replacement with seed {meta['calibration_seed']}.")
    a(f"- Noise: {meta['bootstrap']:,} bootstrap resamples of the test images (seed "
      f"{meta['bootstrap_seed']}), percentile 95% intervals; differences are paired (same "
      f"resamples).  McNemar: exact two-sided test against A8W8 on the same images.")
    a(f"- Run time: {meta['seconds_total']:.0f} s in total; one configuration on "
      f"{meta['test_images']:,} images takes {meta['eval_seconds_dense']:.1f} s (dense, median) "
      f"and "
      f"{meta['eval_seconds_stc']:.1f} s (STC pairing, median) with {meta['threads']} thread(s); "
      f"PyTorch {meta['torch']}, Python {meta['python']}.\n")

    for pruned in (False, True):
        recs = [r for r in records if r["pruned"] == pruned]
        fp = next(r for r in recs if r["name"] == "FP32")
        if not pruned:
            a("## Dense model\n")
            a("Paper columns: ResNet-18 / ResNet-50 on ImageNet, top-1 change vs FP32 as printed "
              "(Table 1 for 5/3/2opt, Table 4 for 6opt and 7opt, whose rounding the paper does "
              "not state; shown on the round rows).\n")
        else:
            a("## 2:4-pruned model, sparse-tensor-core pairing\n")
            a("Paper columns: Table 5 (2:4-pruned ResNet-18 / ResNet-50, change vs the pruned "
              "FP32 model; A8W8 computed from its printed accuracies).\n")
        a(f"FP32 accuracy {100 * fp['accuracy']:.2f}% [{100 * fp['ci_low']:.2f}, "
          f"{100 * fp['ci_high']:.2f}]"
          + (" (paper, pruned: ResNet-18 69.77%, A8W8 69.69%; ResNet-50 76.16%, A8W8 76.17%)."
             if pruned else ".") + "\n")
        a("| configuration | accuracy % [95% CI] | change vs FP32, pp [95% CI] | change vs A8W8, "
          "pp [95% CI] | McNemar p vs A8W8 | paper R-18 | paper R-50 | table |")
        a("|---|---|---|---|---|---|---|---|")
        for r in recs:
            sig = (" **\\*\\***" if r.get("significant_holm_vs_a8w8") else
                   " **\\***" if r.get("significant_vs_a8w8") else "")
            vs8 = "-" if r["name"] in ("FP32", "A8W8") else (
                f"{_pp(r['delta_a8w8'])} "
                f"{_ci(r['delta_a8w8_ci_low'], r['delta_a8w8_ci_high'])}{sig}")
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
    for pruned in (False, True):
        recs = [r for r in records if r["pruned"] == pruned and r["name"] not in ("FP32",)]
        a8 = next(r for r in recs if r["name"] == "A8W8")
        sig = [r for r in recs if r.get("significant_vs_a8w8")]
        holm_sig = [r for r in recs if r.get("significant_holm_vs_a8w8")]
        non = [r for r in recs if r["name"] != "A8W8" and not r.get("significant_vs_a8w8")]
        vs_fp = [r for r in recs if r.get("significant_vs_fp32")]
        label = "2:4-pruned model (STC pairing)" if pruned else "Dense model"
        sig_list = ", ".join(f"{r['name']} ({_pp(r['delta_a8w8'])} pp)" for r in sig)
        holm_list = ", ".join(f"{r['name']} ({_pp(r['delta_a8w8'])} pp)" for r in holm_sig)
        a(f"- {label}: A8W8 vs FP32 {_pp(a8['delta'])} pp "
          f"{_ci(a8['delta_ci_low'], a8['delta_ci_high'])} "
          f"({'significant' if a8.get('significant_vs_fp32') else 'not significant'}).  "
          f"Bootstrap interval vs A8W8 excludes zero: {sig_list or 'none'}.  Of these, significant "
          f"after Holm's correction: {holm_list or 'none'}.  Within noise of A8W8: "
          f"{', '.join(r['name'] for r in non) or 'none'}.  Significantly different from FP32: "
          f"{', '.join(r['name'] for r in vs_fp) or 'none'}.")
    a(f"\nOne test image is {100 / meta['test_images']:.2f} pp.  A single accuracy near 90% has "
      f"a standard error of about {100 * np.sqrt(0.9 * 0.1 / meta['test_images']):.2f} pp, so the "
      f"absolute intervals overlap everywhere; the paired intervals are much tighter because "
      f"most images are classified the same way by both configurations.  With "
      f"{len(ROWS) - 1} comparisons per model at 95%, about one interval in twenty excludes zero "
      f"by chance: treat a lone uncorrected * with care.\n")

    a("## Per-layer activation statistics\n")
    a(f"A8W8 input codes of the quantized layers, over {meta['stats_images']:,} test images, as "
      f"the hardware sees them (the im2col matrix, zero padding included, for convolutions). "
      f"Pair = two adjacent input channels at one tap (SPARQ.md section 4). Bit toggles are "
      f"over the non-zero codes; value ranges are over the codes that bSPARQ trims (both members "
      f"of the pair non-zero).  For 4-bit SPARQ a trimmed code is not in the narrowest window "
      f"[3:0] exactly when x >= 16 (100% minus the <16 column), and it is in the top window "
      f"[7:4] when x >= 16 for 2opt, x >= 64 for 3opt, x >= 128 for 4opt and 5opt.\n")
    for pruned in (False, True):
        rows = layers["pruned" if pruned else "dense"]
        a(f"### {'2:4-pruned' if pruned else 'Dense'} model\n")
        head = ("| layer | K | zero | pairs with a zero | both non-zero | bit 7 | bit 6 | bit 5 | "
                "bit 4 | bSPARQ'd <16 | 16-63 | 64-127 | >=128 |")
        if pruned:
            head += " STC-selected pairs with a zero |"
        a(head)
        a("|" + "---|" * (head.count("|") - 1))
        for r in rows:
            bt, rs = r["bit_toggle_share"], r["bsparq_range_share"]
            line = (f"| {r['layer']} | {r['K']} | {100 * r['zero_share']:.1f}% | "
                    f"{100 * r['pair_any_zero_share']:.1f}% | "
                    f"{100 * r['pair_both_nonzero_share']:.1f}% | "
                    + " | ".join(f"{100 * bt[f'bit{b}']:.1f}%" for b in (7, 6, 5, 4)) + " | "
                    + " | ".join(f"{100 * rs[k]:.1f}%" for k in ("<16", "16-63", "64-127", ">=128"))
                    + " |")
            if pruned:
                line += f" {100 * stc_pairs[r['layer']]['pair_any_zero_share']:.1f}% |"
            a(line)
        a("")
        keys = list(rows[0]["sparq"])
        a("Relative RMS error that SPARQ adds to the layer's input codes "
          "(sqrt(sum (approx - x)^2 / sum x^2), dense pairing):\n")
        a("| layer | " + " | ".join(keys) + " |")
        a("|---|" + "---|" * len(keys))
        for r in rows:
            a(f"| {r['layer']} | " + " | ".join(f"{100 * r['sparq'][k]['rel_rms_error']:.2f}%"
                                              for k in keys) + " |")
        a("")
    dense = layers["dense"]
    a("### Why 2opt loses accuracy (paper section 5.1)\n")
    parts = []
    for r in dense:
        rs, bt, sp = r["bsparq_range_share"], r["bit_toggle_share"], r["sparq"]
        parts.append(f"{r['layer']}: {100 * (1 - rs['<16']):.0f}% of the trimmed codes are >= 16, "
                     f"{100 * rs['16-63']:.0f}% lie in 16..63, while bit 7 is set in "
                     f"{100 * bt['bit7']:.1f}% and bit 6 in {100 * bt['bit6']:.1f}% of the "
                     f"non-zero "
                     f"codes; error 2opt {100 * sp['2opt']['rel_rms_error']:.1f}% vs 3opt "
                     f"{100 * sp['3opt']['rel_rms_error']:.1f}% and 5opt "
                     f"{100 * sp['5opt']['rel_rms_error']:.1f}% (+Round)")
    by = {r["name"]: r for r in records if not r["pruned"]}
    a("A trimmed code x >= 16 has a one among bits 7..4, so 2opt, whose only windows are [3:0] "
      "and [7:4], must take [7:4]: it drops four low bits and keeps only 1 (x in 16..31) or 2 "
      "(x in 32..63) significant bits, although the two top bits are seldom set.  3opt puts "
      "[5:2] there (3 or 4 significant bits) and 5opt the window right under the leading one "
      "(always 4).  This is the paper's observation (ResNet-18: bits 7, 6, 5, 4 set in 0.5%, "
      "9.2%, 33.8%, 44.8% of the non-zero activations).  Here, dense model: "
      + "; ".join(parts) + ".")
    cut = [1 - r["sparq"][k]["rel_rms_error"] / r["sparq"][k + "-trim"]["rel_rms_error"]
           for r in dense for k in ("2opt", "3opt", "5opt")]
    a(f"+Round cuts the RMS error of the trimmed codes by "
      f"{100 * min(cut):.0f}-{100 * max(cut):.0f}% "
      f"here (round to nearest instead of truncation; the paper finds it matters most for 2opt).")

    def verdict(r):
        ci = _ci(r["delta_a8w8_ci_low"], r["delta_a8w8_ci_high"])
        word = ("significant after Holm's correction" if r["significant_holm_vs_a8w8"] else
                "interval excludes zero, not significant after Holm's correction"
                if r["significant_vs_a8w8"] else "within noise")
        return f"{_pp(r['delta_a8w8'])} pp {ci}, {word}"

    a(f"\nOn accuracy, vs A8W8 (dense model): 2opt trim {verdict(by['2opt trim'])}; 2opt round "
      f"{verdict(by['2opt round'])}; 3opt trim {verdict(by['3opt trim'])}; 5opt round "
      f"{verdict(by['5opt round'])}; uniform A3 {verdict(by['uniform A3'])}; uniform A2 "
      f"{verdict(by['uniform A2'])}.")
    four = [n for n in by if by[n]["kind"] == "sparq" and by[n]["opts"] in (2, 3, 4, 5)]
    worst = min(four, key=lambda n: by[n]["accuracy"])
    helps = [o for o in (2, 3, 4, 5, 6, 7)
             if by[f"{o}opt round"]["accuracy"] >= by[f"{o}opt trim"]["accuracy"]]
    a4 = by["uniform A4"]
    a(f"  The worst 4-bit SPARQ row is {worst}"
      f"{' (as in the paper)' if worst == '2opt trim' else ''}; +Round is at least as accurate "
      f"as Trim for {len(helps)} of 6 presets.  The gaps are far smaller than the paper's "
      f"ImageNet ones and mostly within noise: a 4-layer CNN on Fashion-MNIST tolerates "
      f"activation noise that costs a ResNet-18 1.6-2.9 points (2opt), and uniform A4 is "
      f"{verdict(a4)} here.  The activation statistics that make 2opt lossy are the paper's; "
      f"this small model damps their effect on the output.\n")
    a("## Accuracy against area\n")
    a("![accuracy vs area](accuracy.png)\n")
    a("x: area per MAC relative to the 8b-8b design of the same kind, from "
      "`reports/area.json` (`make area`). Per MAC, because every SPARQ design (and 2x4b-8b) does "
      "two MACs a cycle per PE or multiplier slot where 8b-8b does one: at the same throughput "
      "the SPARQ array needs half the PEs. SA: the whole 128x128 array "
      "(`analysis.array[*].area_per_mac_rel`, trim-and-round units at the array edge included); "
      "TC: one dot-product unit (`designs`, kind `tc_dp`, area / MACs per cycle; trim-and-round "
      "units outside it); STC: one sparse dot-product unit (`stc_dp`, trim-and-round units "
      "inside).  y: top-1 change vs FP32 of the same model with the 95% paired-bootstrap "
      "interval.  Uniform A4 sits on the 2x4b-8b design; A3/A2 have no smaller design in "
      "area.json and are left out of the plot (they would sit on the same area as A4 with "
      "lower accuracy). Trim and +Round share a design.  The fronts are those of the point "
      "estimates: most points are within noise of each other (see the intervals), so on this "
      "model the front mostly says which designs are smallest.\n")
    for f in fronts:
        hw = {"SA": "systolic array", "TC": "tensor core",
              "STC": "sparse tensor core"}[f["hardware"]]
        a(f"- Pareto front, {hw}{' (pruned model)' if f['pruned'] else ''}: "
          + " -> ".join(f["front"]) + ".")
    a("")
    a("Files: `reports/accuracy.json` (one record per row: `name`, `pruned`, `accuracy`, "
      "`delta` = accuracy - FP32 of the same model, both fractions; the intervals `ci_low`/"
      "`ci_high` and `delta_ci_low`/`delta_ci_high`; the change vs A8W8, its interval and "
      "McNemar p; configuration fields; the paper's figures), `reports/accuracy.csv` (the same "
      "records), `reports/accuracy.png`, and `reports/accuracy.layers.json` (run metadata, "
      "per-layer statistics, the plotted points and Pareto fronts).\n")
    path.write_text("\n".join(L))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--test-images", type=int, default=10000)
    p.add_argument("--calibration-images", type=int, default=2048)
    p.add_argument("--calibration-seed", type=int, default=0)
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--bootstrap-seed", type=int, default=0)
    p.add_argument("--stats-images", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out-dir", type=Path, default=ROOT / "reports")
    p.add_argument("--area", type=Path, default=ROOT / "reports" / "area.json")
    a = p.parse_args(argv)
    t_start = time.time()
    torch.set_num_threads(a.threads)

    xtr, _ = load_fashion_mnist("train")
    xte, yte = load_fashion_mnist("test")
    xte, yte = xte[: a.test_images], yte[: a.test_images]
    x_train = to_tensor(xtr)
    xt, yt = to_tensor(xte), from_numpy(yte.astype(np.int64))
    calib = calibration_batches(x_train, a.calibration_images, a.calibration_seed)
    del x_train

    records, layers, stc_pairs, times = [], {}, {}, {"dense": [], "stc": []}
    models = {"dense": load(pruned=False), "pruned": load(pruned=True)}
    for kind, model in models.items():
        pruned = kind == "pruned"
        stats = calibrate(model, calib, a.calibration_images)
        correct = [("FP32", None, None, 8, to_numpy(predict(model, xt) == yt))]
        for name, opts, rnd, bits in ROWS:
            cfg = None if opts is None else Config.preset(opts, rnd)
            qm = quantize_model(model, cfg, calib, act_bits=bits, stc=pruned, stats=stats)
            t0 = time.time()
            pred = predict(qm, xt)
            dt = time.time() - t0
            if cfg is not None:
                times["stc" if pruned else "dense"].append(dt)
            correct.append((name, opts, rnd, bits, to_numpy(pred == yt)))
            print(f"{kind:6s} {name:12s} {100 * float((pred == yt).float().mean()):6.2f}%  "
                  f"{dt:5.1f} s", flush=True)
        mat = np.stack([c[-1] for c in correct]).astype(bool)
        boot = analysis.bootstrap(mat, a.bootstrap, a.bootstrap_seed)
        acc = mat.mean(1)
        i_fp, i_a8 = 0, 1
        for i, (name, opts, rnd, bits, corr) in enumerate(correct):
            lo, hi = analysis.interval(boot[:, i])
            dlo, dhi = analysis.interval(boot[:, i] - boot[:, i_fp])
            alo, ahi = analysis.interval(boot[:, i] - boot[:, i_a8])
            rec = {
                "name": name, "pruned": pruned, "accuracy": float(acc[i]),
                "delta": float(acc[i] - acc[i_fp]), "ci_low": lo, "ci_high": hi,
                "delta_ci_low": dlo, "delta_ci_high": dhi,
                "delta_a8w8": float(acc[i] - acc[i_a8]), "delta_a8w8_ci_low": alo,
                "delta_a8w8_ci_high": ahi,
                "significant_vs_a8w8": bool(i > i_a8 and (alo > 0 or ahi < 0)),
                "significant_vs_fp32": bool(i > i_fp and (dlo > 0 or dhi < 0)),
                "mcnemar_p_vs_a8w8": analysis.mcnemar_p(mat[i_a8], corr) if i > i_a8 else None,
                "significant_holm_vs_a8w8": False,
                "kind": ("fp32" if name == "FP32" else "a8w8" if name == "A8W8" else
                         "sparq" if opts else "uniform"),
                "opts": opts, "rounding": rnd, "act_bits": bits if name != "FP32" else 32,
                "stc_pairing": bool(pruned and opts is not None),
                "correct": int(corr.sum()), "images": int(corr.size),
            }
            rec.update(_paper(name, pruned))
            records.append(rec)
        mine = [r for r in records if r["pruned"] == pruned and r["mcnemar_p_vs_a8w8"] is not None]
        for r, rej in zip(mine, holm([r["mcnemar_p_vs_a8w8"] for r in mine]), strict=True):
            r["significant_holm_vs_a8w8"] = bool(rej)
        a8 = quantize_model(model, None, calib, stc=pruned, stats=stats)
        cfgs = {f"{o}opt{'' if r else '-trim'}": Config.preset(o, r)
                for o in (5, 4, 3, 2, 6, 7) for r in (True, False)}
        layers[kind] = analysis.layer_stats(a8, xt[: a.stats_images], cfgs)
        if pruned:
            stc_pairs = analysis.stc_pair_stats(a8, xt[: a.stats_images])

    area = json.loads(a.area.read_text()) if a.area.exists() else {}
    area_pts = _area_points(area)
    a.out_dir.mkdir(parents=True, exist_ok=True)
    fronts = plot(records, area_pts, a.out_dir / "accuracy.png", int(xt.shape[0]))
    meta = {
        "command": COMMAND, "test_images": int(xt.shape[0]), "data_dir": str(data_dir()),
        "params": sum(p.numel() for p in models["dense"].parameters()),
        "train_seed": models["dense"].meta.get("train", {}).get("seed"),
        "sha_dense": _sha(WEIGHTS_DIR / DENSE_FILE), "sha_pruned": _sha(WEIGHTS_DIR / PRUNED_FILE),
        "calibration_images": a.calibration_images, "calibration_seed": a.calibration_seed,
        "bootstrap": a.bootstrap, "bootstrap_seed": a.bootstrap_seed,
        "stats_images": min(a.stats_images, int(xt.shape[0])), "threads": a.threads,
        "eval_seconds_dense": float(np.median(times["dense"])) if times["dense"] else 0.0,
        "eval_seconds_stc": float(np.median(times["stc"])) if times["stc"] else 0.0,
        "torch": torch.__version__, "python": platform.python_version(),
        "numpy_bridge": "native" if NATIVE_BRIDGE else "buffer copy",
        "seconds_total": time.time() - t_start,
    }
    write_md(a.out_dir / "accuracy.md", meta, records, layers, stc_pairs, fronts)
    (a.out_dir / "accuracy.json").write_text(json.dumps(records, indent=1) + "\n")
    (a.out_dir / "accuracy.layers.json").write_text(json.dumps(
        {"meta": meta, "layers": layers, "stc_pairs": stc_pairs, "pareto": fronts,
         "area_points": area_pts}, indent=1) + "\n")
    fields = list(records[0])
    with open(a.out_dir / "accuracy.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(records)
    print(f"wrote {a.out_dir}/accuracy.{{md,csv,json,png}} in {meta['seconds_total']:.0f} s")


if __name__ == "__main__":
    main()
