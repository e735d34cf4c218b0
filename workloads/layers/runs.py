"""The trained networks' real layers through the emitted RTL: one network on one design.

For a design (a SPARQ SA with 5opt or 3opt, the 8b-8b SA, a SPARQ TC or STC with
5opt, their 8b-8b versions), a quantized Fashion-MNIST network (the dense model;
the 2:4-pruned one for the STC) classifies a batch of test images with every
quantized layer computed by the simulated Verilog through
:func:`verif.runner.run_gemm`: a layer's accumulators come back from the
simulation, are checked element by element against :func:`golden.sparq.matmul`
on the same integers (``stc=True`` for the STC; ``A @ W`` for an 8b-8b array;
group by group for a grouped layer) and against the layer's own PyTorch
accumulators, and then go on through the model exactly as its own would
(``scale_a * scale_w * acc + bias``, the activation, the next layer's
quantizer).  The prediction (and the logits, bit for bit) must equal those of
the quantized model run on the host.  Every measured cycle count is checked
against :func:`verif.runner.plan_gemm`, which then gives the figures of shapes
that are not simulated (one image).

A layer with signed inputs ("A8W8 signed") cannot enter a SPARQ array (it takes
unsigned codes, and SPARQ approximates) nor the 8b-8b array directly (unsigned
8-bit activation ports).  It runs on the 8b-8b array of the same architecture
and size through an exact offset: the codes ``a`` in -128..127 enter as
``a + 128`` (0..255), and ``(a + 128) @ W - 128 * colsum(W) = a @ W``, the
column sums of the weight codes being a per-output constant that the host
subtracts (as a bias; an integer accelerator folds it into the bias once per
layer).  :data:`SIGNED_ON` says so in the records.

:func:`rtl_forward` is the piece a test or a notebook can call on its own.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden.sparq import Config, wrap
from golden.sparq import matmul as golden_matmul
from verif.runner import GemmPlan, plan_gemm, run_gemm

from .._torch import torch
from ..quant.gemm import layer_matrices
from ..quant.quantize import QuantConv2d, calibrate, quantize_model, quantized_layers

__all__ = ["Design", "LayerRun", "default_designs", "rtl_forward", "run_design",
           "GROUPS_ON_ARRAYS", "SIGNED_ON", "offset_signed"]

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "verif"
#: What runs an A8W8-signed layer: the 8b-8b array of the design's kind and size.
SIGNED_ON = "8b-8b array, offset codes"


def _takes_groups(fn) -> bool:
    try:
        return "groups" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


#: Whether verif.runner.run_gemm and plan_gemm take ``groups=`` (grouped layers on the
#: arrays); without it a grouped layer is computed on the host by the golden model.
GROUPS_ON_ARRAYS = _takes_groups(run_gemm) and _takes_groups(plan_gemm)


def offset_signed(a: np.ndarray) -> np.ndarray:
    """Signed codes -128..127 as the unsigned 0..255 the 8b-8b array takes."""
    return a + 128


def offset_correction(w: np.ndarray) -> np.ndarray:
    """What ``(a + 128) @ w`` has in excess of ``a @ w``: ``128 * colsum(w)``, (N,)."""
    return 128 * w.sum(axis=0)


# ------------------------------------------------------------------ designs

@dataclass(frozen=True)
class Design:
    """One array :func:`run_gemm` maps the layers onto: SPARQ (``config``) or a baseline."""

    name: str
    arch: str                       # "sa", "tc" or "stc"
    config: Config | None           # the SPARQ configuration; None for the baseline
    baseline: str | None            # "8b8b" or None
    rows: int
    cols: int

    @property
    def pruned(self) -> bool:
        """The STC runs the 2:4-pruned model, the others the dense one."""
        return self.arch == "stc"

    @property
    def label(self) -> str:
        what = self.config.name if self.config is not None else self.baseline
        return f"{self.arch.upper()} {self.rows}x{self.cols} {what}"

    def kwargs(self) -> dict:
        return {"arch": self.arch, "config": self.config, "baseline": self.baseline,
                "rows": self.rows, "cols": self.cols}

    def baseline_8b8b(self) -> Design:
        """The 8b-8b array of the same kind and size (itself for an 8b-8b design)."""
        if self.baseline == "8b8b":
            return self
        return Design(f"{self.arch}-8b8b", self.arch, None, "8b8b", self.rows, self.cols)

    def plan(self, m: int, k: int, n: int, groups: int = 1) -> GemmPlan:
        if groups == 1:                 # a runner without groups= plans plain GEMMs too
            return plan_gemm(m, k, n, **self.kwargs())
        return plan_gemm(m, k, n, groups=groups, **self.kwargs())

    def reference(self, a: np.ndarray, w: np.ndarray, groups: int = 1) -> np.ndarray:
        """What the array must compute: the golden SPARQ product, or ``A @ W`` (32-bit wrap),
        group by group (``a`` (M, G*Kg), ``w`` (Kg, N))."""
        if groups > 1:
            kg, ng = w.shape[0], w.shape[1] // groups
            return np.concatenate([self.reference(a[:, g * kg:(g + 1) * kg],
                                                  w[:, g * ng:(g + 1) * ng])
                                   for g in range(groups)], axis=1)
        if self.config is None:
            return wrap(a @ w, 32)
        return golden_matmul(a, w, self.config, stc=self.arch == "stc")


def default_designs(sa: int = 16, tc: int = 8) -> list[Design]:
    """The designs of the report: SA ``sa x sa``, TC and STC ``tc x tc``.

    With the defaults every 8b-8b array has the same peak (256 MACs a cycle)
    and every SPARQ array (and the 8b-8b STC, on 2:4 weights) twice that.
    """
    c5, c3 = Config.preset(5), Config.preset(3)
    return [
        Design("sa-5opt", "sa", c5, None, sa, sa),
        Design("sa-3opt", "sa", c3, None, sa, sa),
        Design("sa-8b8b", "sa", None, "8b8b", sa, sa),
        Design("tc-5opt", "tc", c5, None, tc, tc),
        Design("tc-8b8b", "tc", None, "8b8b", tc, tc),
        Design("stc-5opt", "stc", c5, None, tc, tc),
        Design("stc-8b8b", "stc", None, "8b8b", tc, tc),
    ]


def baseline_of(design: Design, designs) -> Design | None:
    """The 8b-8b design of the same architecture and size (itself for a baseline)."""
    for d in designs:
        if (d.arch, d.rows, d.cols, d.baseline) == (design.arch, design.rows, design.cols,
                                                     "8b8b"):
            return d
    return None


# ------------------------------------------------------------------ one network run

def _plan_fields(plan: GemmPlan, cycles: int | None = None) -> dict:
    """The figures of a plan (``cycles`` measured, or the plan's formula)."""
    cycles = plan.formula_cycles if cycles is None else cycles
    return {
        "m": plan.m, "k": plan.k, "n": plan.n, "groups": getattr(plan, "groups", 1),
        "tile_grid": list(plan.tile_grid),
        "tiles": plan.tiles, "k_step": plan.k_step, "beats_per_tile": plan.beats_per_tile,
        "gap": plan.gap, "latency": plan.latency, "pes": plan.pes,
        "peak_macs_per_cycle": plan.peak_macs_per_cycle, "macs": plan.macs,
        "cycles": cycles, "formula_cycles": plan.formula_cycles,
        "ideal_cycles": plan.ideal_cycles,
        "macs_per_cycle": plan.macs / cycles,
        "utilization": plan.macs / (plan.pes * cycles),          # MACs per PE per cycle
        "peak_fraction": plan.macs / (plan.peak_macs_per_cycle * cycles),
        # share of the output tiles' PEs that hold a real output, and of the K beats
        "tile_fill": plan.m * plan.n / (plan.tiles * plan.rows * plan.cols),  # all groups
        "k_fill": plan.k / (plan.beats_per_tile * plan.k_step),
    }


@dataclass
class LayerRun:
    """One layer of one design: the GEMM, what the RTL gave, and its cycle figures."""

    design: str
    layer: str
    kind: str                   # "conv" or "linear"
    m: int
    k: int                      # per group
    n: int
    groups: int
    policy: str                 # "SPARQ", "A8W8", "A8W8 signed"
    array: str                  # what computed it: the design, SIGNED_ON, or "host"
    rows_run: int               # rows of A simulated (all of M unless max_rows; 0 on the host)
    zero_share: float           # share of zero activation codes in A
    mismatches: int             # RTL vs golden.sparq.matmul, elements
    model_mismatches: int       # the PyTorch layer's own accumulators vs golden
    cycles: int | None          # measured, on the rows_run rows (None on the host)
    formula_cycles: int | None  # plan_gemm's for the simulated shape
    plan_matches: bool          # every plan_gemm figure equals the run's stats
    stats: dict | None          # the whole layer: the measured run, or plan_gemm (rows_run < m)
    per_image: dict | None      # _plan_fields of plan_gemm for one image
    bench_seconds: float        # the run_gemm call (build included if not cached)
    build: str                  # the simulator build folder's name

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _simulated_accumulator(layer, design: Design, simulator: str, records: list,
                           images: int, max_rows: int | None = None, log=None):
    """A replacement for ``layer._accumulate`` that computes the layer on the RTL.

    With ``max_rows`` only the first rows of ``A`` are simulated and the rest
    come from the golden model; the cycle figures of the whole layer then come
    from ``plan_gemm``, cross-checked on the rows that ran.  A signed layer runs
    on the 8b-8b array with offset codes (module docstring); a grouped layer on
    the host when the runner has no ``groups=``.
    """
    original = type(layer)._accumulate.__get__(layer)

    def accumulate(codes):
        own = original(codes)                             # the model's own accumulators
        kind = "conv" if isinstance(layer, QuantConv2d) else "linear"
        own_rows = own.permute(0, 2, 3, 1).reshape(-1, own.shape[1]) if kind == "conv" \
            else own.reshape(-1, own.shape[-1])
        a, w = layer_matrices(layer, codes)
        groups = layer.groups
        (m, _), (k, n) = a.shape, w.shape
        array = design.baseline_8b8b() if layer.signed else design
        want = array.reference(a, w, groups)
        on_host = groups > 1 and not GROUPS_ON_ARRAYS
        run_m = 0 if on_host else m if max_rows is None else min(m, max_rows)
        t0 = time.perf_counter()
        if on_host:
            c, run, plan = want, None, None
        else:
            a_in = offset_signed(a) if layer.signed else a
            extra = {"groups": groups} if groups > 1 else {}
            run = run_gemm(a_in[:run_m], w, simulator=simulator, **array.kwargs(), **extra)
            got = run.c - offset_correction(w)[None, :] if layer.signed else run.c
            c = np.concatenate([got, want[run_m:]]) if run_m < m else got
            plan = array.plan(run_m, k, n, groups)
        seconds = time.perf_counter() - t0
        if on_host:
            mism, plan_ok, full, one, cyc = 0, True, None, None, None
        else:
            mism = int((c[:run_m] != want[:run_m]).sum())
            plan_ok = all(getattr(run.stats, f.name) == getattr(plan, f.name)
                          for f in dataclasses.fields(GemmPlan)) \
                and run.cycles == plan.formula_cycles
            full = _plan_fields(plan, int(run.cycles)) if run_m == m \
                else _plan_fields(array.plan(m, k, n, groups))
            one = _plan_fields(array.plan(m // images if kind == "conv" else
                                          max(1, m // images), k, n, groups))
            cyc = int(run.cycles)
        rec = LayerRun(
            design=design.name, layer=layer.name, kind=kind, m=m, k=k, n=n, groups=groups,
            policy=layer.policy,
            array="host (run_gemm has no groups=)" if on_host else
            SIGNED_ON if layer.signed else design.name, rows_run=run_m,
            zero_share=float((a == 0).mean()), mismatches=mism,
            model_mismatches=int((own_rows.double().numpy().astype(np.int64) != want).sum()),
            cycles=cyc, formula_cycles=None if plan is None else int(plan.formula_cycles),
            plan_matches=bool(plan_ok), stats=full, per_image=one,
            bench_seconds=round(seconds, 2),
            build="" if run is None else Path(run.stats.build).name)
        records.append(rec)
        if log:
            where = "" if rec.array == design.name else f" [{rec.array}]"
            log(f"  {design.name:9s} {layer.name:22s} M={run_m:5d}"
                f"{'' if run_m == m else f'/{m}'} K={k:4d} N={n:3d} G={groups:3d} "
                f"{'-' if cyc is None else cyc:>7} cycles, {mism} mismatches, "
                f"{seconds:5.1f} s{where}")
        acc = torch.from_numpy(c.astype(np.float64)).to(own.dtype)
        if kind == "conv":
            nb, o, h, wd = own.shape
            acc = acc.reshape(nb, h, wd, o).permute(0, 3, 1, 2).contiguous()
        return acc.reshape(own.shape)

    return accumulate


@torch.no_grad()
def rtl_forward(qmodel, images, design: Design, *, simulator: str = "verilator",
                layers=None, max_rows: int | None = None, log=None):
    """``qmodel(images)`` with the quantized layers (or ``layers``) computed on ``design``'s RTL.

    Returns ``(logits, [LayerRun, ...])``.  The other layers (the FP32 first
    convolution, ReLU, the flattening) run on the host, and so does the
    dequantization, exactly as the model does it: with RTL results equal to
    the golden model the logits equal ``qmodel(images)`` bit for bit.
    ``max_rows`` simulates only the first rows of each layer's ``A`` (the
    others from the golden model; see :class:`LayerRun`).
    """
    chosen = [(n, m) for n, m in quantized_layers(qmodel) if layers is None or n in layers]
    if layers is not None and len(chosen) != len(set(layers)):
        raise ValueError(f"layers {sorted(layers)} are not all quantized layers of the model; "
                         f"those are {[n for n, _ in quantized_layers(qmodel)]}")
    records: list[LayerRun] = []
    qmodel.eval()
    for _, mod in chosen:
        mod._accumulate = _simulated_accumulator(mod, design, simulator, records,
                                                 int(images.shape[0]), max_rows, log)
    try:
        logits = qmodel(images)
    finally:
        for _, mod in chosen:
            del mod._accumulate
    return logits, records


# ------------------------------------------------------------------ one design (a worker)

@functools.lru_cache(maxsize=4)
def _model_and_stats(model: str, pruned: bool, calibration_images: int, calibration_seed: int):
    from ..data import calibration_batches, load_fashion_mnist, to_tensor
    from ..models.train import load
    xtr, _ = load_fashion_mnist("train")
    calib = calibration_batches(to_tensor(xtr), calibration_images, calibration_seed)
    net = load(model=model, pruned=pruned)
    return net, calibrate(net, calib, calibration_images), calib


@functools.lru_cache(maxsize=1)
def _test_images(first: int, count: int):
    from ..data import load_fashion_mnist, to_tensor
    xte, yte = load_fashion_mnist("test")
    sel = slice(first, first + count)
    return to_tensor(xte[sel]), yte[sel].astype(np.int64)


def run_design(design: Design, *, images: int, model: str = "cnn", first_image: int = 0,
               calibration_images: int = 2048, calibration_seed: int = 0,
               simulator: str = "verilator", max_rows: int | None = None, threads: int = 1,
               log=print) -> dict:
    """Quantize ``model`` for ``design``, classify the images on its RTL; a JSON-able record."""
    os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    before = set(os.listdir(BUILD / simulator)) if (BUILD / simulator).is_dir() else set()
    net, stats, calib = _model_and_stats(model, design.pruned, calibration_images,
                                         calibration_seed)
    x, labels = _test_images(first_image, images)
    # the calibration set recalibrates BatchNorm, as reports/accuracy.md does
    qmodel = quantize_model(net, design.config, calib, stc=design.pruned, stats=stats,
                            calibration_images=calibration_images)
    with torch.no_grad():
        golden_logits = qmodel(x)
    logits, records = rtl_forward(qmodel, x, design, simulator=simulator, max_rows=max_rows,
                                  log=log)
    golden_pred = golden_logits.argmax(1).numpy().astype(np.int64)
    rtl_pred = logits.argmax(1).numpy().astype(np.int64)
    built = sorted({r.build for r in records if r.build} - before)
    return {
        "design": design.name, "label": design.label, "arch": design.arch,
        "config": design.config.name if design.config is not None else None,
        "baseline": design.baseline, "rows": design.rows, "cols": design.cols,
        "network": model, "model": "2:4-pruned" if design.pruned else "dense",
        "simulator": simulator, "images": int(x.shape[0]), "first_image": first_image,
        "layers": [r.as_dict() for r in records],
        "labels": labels.tolist(), "golden_pred": golden_pred.tolist(),
        "rtl_pred": rtl_pred.tolist(),
        "pred_agree": int((golden_pred == rtl_pred).sum()),
        "golden_correct": int((golden_pred == labels).sum()),
        "rtl_correct": int((rtl_pred == labels).sum()),
        "logits_identical": bool(torch.equal(logits, golden_logits)),
        "logits_max_abs_diff": float((logits - golden_logits).abs().max()),
        "builds": built,
        "seconds": round(time.perf_counter() - t0, 1),
        "sim_seconds": round(sum(r.bench_seconds for r in records), 1),
    }
