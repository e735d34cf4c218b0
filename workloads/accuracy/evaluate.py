"""Accuracy of one configuration on one trained network, the way the report measures it.

:func:`evaluate_config` is the unit a design-space sweep calls per design point: it
quantizes one of the three committed Fashion-MNIST networks with a configuration,
classifies the test images and returns the record ``reports/accuracy.json`` holds
(with ``model``), its intervals and tests against FP32 and A8W8 of the same network.
What every call shares is computed once and kept (in the process, and on disk under
``build/accuracy-cache/``, keyed by the weight files and the arguments): the data, the
calibration statistics, and the FP32 and A8W8 per-image results.
"""

from __future__ import annotations

import functools
import hashlib
import json
import pickle
from pathlib import Path

import numpy as np

from golden.sparq import PRESETS, Config

from .._torch import torch
from ..data import calibration_batches, load_fashion_mnist, to_tensor
from ..models import MODELS, spec
from ..models.train import load, weight_path
from ..quant.quantize import CalibrationStats, calibrate, quantize_model
from . import stats as st

__all__ = ["ROWS", "row_config", "config_name", "evaluate_config", "predict", "correct",
           "calibration", "test_set", "calibration_set", "records", "holm", "paper",
           "CACHE", "Setting"]

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "accuracy-cache"

#: (name, opts or None, rounding, uniform activation bits) of the report's rows after FP32.
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


def paper(name: str, pruned: bool) -> dict:
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


def row_config(opts, rounding) -> Config | None:
    return None if opts is None else Config.preset(opts, rounding)


def config_name(cfg: Config | None, act_bits: int = 8) -> str:
    """The report's row name: ``A8W8``, ``5opt round``, ``3opt trim``, ``uniform A4``, or a
    custom configuration's ``n3-s0.1.2.3.4.5 round``."""
    if cfg is None:
        return "A8W8" if act_bits == 8 else f"uniform A{act_bits}"
    base = cfg.name.removesuffix("-trim")
    return f"{base} {'round' if cfg.rounding else 'trim'}"


def _opts(cfg: Config | None) -> int | None:
    if cfg is None:
        return None
    return next((k for k, v in PRESETS.items() if v == (cfg.bits, cfg.shifts)), None)


# ------------------------------------------------------------------ shared inputs

class Setting(tuple):
    """The arguments every evaluation of a report shares (hashable, for the caches)."""

    __slots__ = ()
    _fields = ("test_images", "calibration_images", "calibration_seed", "bootstrap",
               "bootstrap_seed")

    def __new__(cls, test_images=10000, calibration_images=2048, calibration_seed=0,
                bootstrap=2000, bootstrap_seed=0):
        vals = (test_images, calibration_images, calibration_seed, bootstrap, bootstrap_seed)
        for name, v in zip(cls._fields, vals, strict=True):
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if "seed" in name else 1):
                raise ValueError(f"{name} must be an integer >= "
                                 f"{0 if 'seed' in name else 1}, got {v!r}")
        return super().__new__(cls, vals)

    def __getnewargs__(self):
        return tuple(self)

    def __getattr__(self, name):
        if name in self._fields:
            return self[self._fields.index(name)]
        raise AttributeError(name)


@functools.lru_cache(maxsize=4)
def test_set(images: int = 10000):
    """``(x, y)``: the first ``images`` test images (normalized tensor) and labels (int64)."""
    xte, yte = load_fashion_mnist("test")
    if not 1 <= images <= xte.shape[0]:
        raise ValueError(f"test_images must be 1..{xte.shape[0]}, got {images}")
    return to_tensor(xte[:images]), torch.from_numpy(yte[:images].astype(np.int64))


@functools.lru_cache(maxsize=4)
def calibration_set(images: int = 2048, seed: int = 0) -> list:
    xtr, _ = load_fashion_mnist("train")
    return calibration_batches(to_tensor(xtr), images, seed)


@functools.lru_cache(maxsize=8)
def trained(model: str, pruned: bool):
    return load(model=model, pruned=pruned)


@functools.lru_cache(maxsize=1)
def _code_hash() -> str:
    """The quantizer's and the golden model's sources: a cache made by other code is stale."""
    h = hashlib.sha256()
    for f in sorted((ROOT / "workloads" / "quant").glob("*.py")) + [
            ROOT / "golden" / "sparq.py", Path(__file__).resolve().parent.parent / "data.py"]:
        h.update(f.read_bytes())
    return h.hexdigest()


def _key(model: str, pruned: bool, *parts) -> str:
    h = hashlib.sha256(weight_path(model, pruned).read_bytes())
    h.update(json.dumps([model, pruned, *parts, torch.__version__, _code_hash()]).encode())
    return h.hexdigest()[:16]


def _cached(kind: str, key: str, make, cache: bool):
    path = CACHE / f"{kind}-{key}.pickle"
    if cache and path.is_file():
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError):
            pass                                    # a broken cache file is rebuilt
    value = make()
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{id(value)}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(value, f)
        tmp.replace(path)
    return value


def calibration(model: str, pruned: bool, images: int = 2048, seed: int = 0,
                cache: bool = True) -> CalibrationStats:
    """The calibration statistics of a trained network (computed once, then cached)."""
    return _cached("calib", _key(model, pruned, images, seed),
                   lambda: calibrate(trained(model, pruned), calibration_set(images, seed),
                                     images), cache)


@torch.no_grad()
def predict(model, x, batch: int = 500) -> torch.Tensor:
    return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, x.shape[0], batch)])


def correct(model, x, y) -> np.ndarray:
    """Per-image correctness (bool) of ``model`` on ``x``."""
    return (predict(model, x) == y).numpy().astype(bool)


def quantized(model: str, cfg: Config | None, setting: Setting, *, act_bits: int = 8,
              stc: bool = False, cache: bool = True):
    """The quantized network of one configuration (``stc``: the 2:4-pruned one, STC pairing)."""
    stats = calibration(model, stc, setting.calibration_images, setting.calibration_seed, cache)
    return quantize_model(trained(model, stc), cfg,
                          calibration_set(setting.calibration_images, setting.calibration_seed),
                          act_bits=act_bits, stc=stc, stats=stats)


def reference_correct(model: str, stc: bool, setting: Setting, cache: bool = True):
    """``(fp32, a8w8)`` per-image correctness of a network, computed once and cached."""
    def make():
        x, y = test_set(setting.test_images)
        return (correct(trained(model, stc), x, y),
                correct(quantized(model, None, setting, stc=stc, cache=cache), x, y))
    return _cached("reference", _key(model, stc, *setting), make, cache)


# ------------------------------------------------------------------ records

def records(model: str, pruned: bool, rows: list[tuple], setting: Setting) -> list[dict]:
    """The report's records of one network: ``rows`` is ``[(name, cfg, act_bits, correct)]``
    with FP32 first and A8W8 second; intervals from one set of paired bootstrap resamples,
    McNemar against A8W8 with Holm's correction over the rows after A8W8."""
    mat = np.stack([r[3] for r in rows]).astype(bool)
    boot = st.bootstrap(mat, setting.bootstrap, setting.bootstrap_seed)
    acc = mat.mean(1)
    i_fp, i_a8 = 0, 1
    out = []
    for i, (name, cfg, bits, corr) in enumerate(rows):
        lo, hi = st.interval(boot[:, i])
        dlo, dhi = st.interval(boot[:, i] - boot[:, i_fp])
        alo, ahi = st.interval(boot[:, i] - boot[:, i_a8])
        rec = {
            "name": name, "pruned": pruned, "accuracy": float(acc[i]),
            "delta": float(acc[i] - acc[i_fp]), "ci_low": lo, "ci_high": hi,
            "delta_ci_low": dlo, "delta_ci_high": dhi,
            "delta_a8w8": float(acc[i] - acc[i_a8]), "delta_a8w8_ci_low": alo,
            "delta_a8w8_ci_high": ahi,
            "significant_vs_a8w8": bool(i > i_a8 and (alo > 0 or ahi < 0)),
            "significant_vs_fp32": bool(i > i_fp and (dlo > 0 or dhi < 0)),
            "mcnemar_p_vs_a8w8": st.mcnemar_p(mat[i_a8], corr) if i > i_a8 else None,
            "significant_holm_vs_a8w8": False,
            "kind": ("fp32" if name == "FP32" else "a8w8" if name == "A8W8" else
                     "sparq" if cfg is not None else "uniform"),
            "opts": _opts(cfg), "rounding": None if cfg is None else cfg.rounding,
            "act_bits": bits if name != "FP32" else 32,
            "stc_pairing": bool(pruned and cfg is not None),
            "correct": int(corr.sum()), "images": int(corr.size),
        }
        rec.update(paper(name, pruned))
        rec["model"] = model
        out.append(rec)
    later = [r for r in out if r["mcnemar_p_vs_a8w8"] is not None]
    for r, rej in zip(later, holm([r["mcnemar_p_vs_a8w8"] for r in later]), strict=True):
        r["significant_holm_vs_a8w8"] = bool(rej)
    return out


def evaluate_config(model: str, cfg: Config | None, *, rounding: bool | None = None,
                    act_bits: int = 8, stc: bool = False, test_images: int = 10000,
                    calibration_images: int = 2048, calibration_seed: int = 0,
                    bootstrap: int = 2000, bootstrap_seed: int = 0, threads: int | None = None,
                    cache: bool = True) -> dict:
    """The accuracy record of one configuration on one trained network.

    Parameters
    ----------
    model : str
        ``"cnn"``, ``"resnet"`` or ``"mobilenet"`` (:data:`workloads.models.MODELS`).
    cfg : golden.sparq.Config or None
        The SPARQ configuration; None for A8W8 (or uniform ``act_bits``).
    rounding : bool, optional
        Overrides ``cfg.rounding`` (``False``: the paper's Trim).
    act_bits : int
        Uniform activation bits (2..8) with ``cfg=None``.
    stc : bool
        The 2:4-pruned network with sparse-tensor-core pairing (the report's pruned rows).
    test_images, calibration_images, calibration_seed, bootstrap, bootstrap_seed
        As ``python -m workloads.accuracy`` (its defaults give its numbers).
    threads : int, optional
        ``torch.set_num_threads`` for this call.
    cache : bool
        Keep and reuse the calibration statistics and the FP32/A8W8 results on disk.

    Returns
    -------
    dict
        One record of ``reports/accuracy.json``: accuracy, change vs FP32 and vs A8W8
        with 95% paired-bootstrap intervals, McNemar p vs A8W8 (``significant_holm_vs_a8w8``
        is over this one comparison), configuration fields, the paper's figures, ``model``.
        With the report's arguments the figures equal the report's row.
    """
    spec(model)
    if cfg is not None and not isinstance(cfg, Config):
        raise TypeError(f"cfg must be a golden.sparq.Config or None, got {type(cfg).__name__}")
    if rounding is not None:
        if cfg is None:
            raise ValueError("rounding applies to a SPARQ configuration; cfg is None")
        cfg = Config(cfg.bits, cfg.shifts, bool(rounding))
    if cfg is not None and act_bits != 8:
        raise ValueError(f"act_bits={act_bits} with a SPARQ configuration: SPARQ works on "
                         f"8-bit codes (use cfg=None for the uniform baselines)")
    if isinstance(act_bits, bool) or not isinstance(act_bits, int) or not 2 <= act_bits <= 8:
        raise ValueError(f"act_bits must be an integer 2..8, got {act_bits!r}")
    setting = Setting(test_images, calibration_images, calibration_seed, bootstrap,
                      bootstrap_seed)
    if threads is not None:
        torch.set_num_threads(threads)
    fp32, a8w8 = reference_correct(model, stc, setting, cache)
    name = config_name(cfg, act_bits)
    if name == "A8W8":
        return records(model, stc, [("FP32", None, 32, fp32), ("A8W8", None, 8, a8w8)],
                       setting)[1]
    x, y = test_set(test_images)
    mine = correct(quantized(model, cfg, setting, act_bits=act_bits, stc=stc, cache=cache), x, y)
    return records(model, stc, [("FP32", None, 32, fp32), ("A8W8", None, 8, a8w8),
                                (name, cfg, act_bits, mine)], setting)[2]


def all_models() -> tuple[str, ...]:
    return tuple(MODELS)
