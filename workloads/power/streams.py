"""Operand streams for the power flow (issue 10): the trained network's conv layers as integers.

Three streams of the same shape feed every unit:

* ``real``: the im2col activation codes and the A8W8 weight codes of the
  quantized CNN's conv layers (``conv2``, ``conv3``; ``conv1`` sees the image
  and stays FP32), from :func:`workloads.quant.gemm.layer_gemms` on test images.
  The 2x4b-8b units see the uniform A4 codes of the same model quantized to
  4-bit activations (``quantize_model(..., act_bits=4)``: ``scale = range /
  15``), the sparse (2:4) units the 2:4-pruned model;
* ``random``: uniform random codes with the real stream's share of zeros,
  per layer (activations 1..255 or 1..15, weights -128..127 without 0; a
  2:4 weight keeps its zero pattern);
* ``zero``: all-zero activations with the real weights (the floor).

A *tile* is one output: a row ``m`` of ``A`` against a column ``n`` of
``W`` over the layer's whole ``K``; tiles are drawn at random (seeded), half
from each layer (the two layers do the same number of MACs per image), and
every stream uses the same tile sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._torch import torch

__all__ = ["Layer", "StreamSet", "load_layers", "derive", "STREAMS", "CONV_LAYERS"]

STREAMS = ("real", "random", "zero")
CONV_LAYERS = ("conv2", "conv3")


@dataclass
class Layer:
    """One conv layer as integers: ``A`` (M, K) codes, ``W`` (K, N) weight codes."""

    name: str
    A: np.ndarray
    W: np.ndarray
    act_bits: int

    @property
    def zero_share(self) -> float:
        return float((self.A == 0).mean())

    @property
    def weight_zero_share(self) -> float:
        return float((self.W == 0).mean())


@dataclass
class StreamSet:
    """Layers per operand kind: ``a8`` (A8W8), ``a4`` (A4W8), ``s8`` (2:4-pruned A8W8)."""

    a8: list
    a4: list
    s8: list

    def kinds(self) -> dict:
        return {"a8": self.a8, "a4": self.a4, "s8": self.s8}


def _cache_key(images: int, calibration_images: int, seed: int) -> str:
    import hashlib

    from ..models.train import DENSE_FILE, PRUNED_FILE, WEIGHTS_DIR
    h = hashlib.sha256(f"{images},{calibration_images},{seed},{CONV_LAYERS}".encode())
    for f in (DENSE_FILE, PRUNED_FILE):
        h.update((WEIGHTS_DIR / f).read_bytes())
    return h.hexdigest()[:16]


def load_layers(images: int = 16, calibration_images: int = 2048, seed: int = 0,
                cache=None) -> StreamSet:
    """The real stream's layers from the committed models (dense and 2:4-pruned).

    ``cache``: a folder; the layers are kept there (``streams-<key>.npz``, keyed
    by the weight files and the arguments) and read back on the next call.
    """
    from pathlib import Path
    path = None
    if cache is not None:
        path = Path(cache) / f"streams-{_cache_key(images, calibration_images, seed)}.npz"
        if path.is_file():
            z = np.load(path)
            return StreamSet(**{kind: [Layer(name, z[f"{kind}/{name}/A"], z[f"{kind}/{name}/W"],
                                             int(z[f"{kind}/{name}/bits"]))
                                       for name in CONV_LAYERS] for kind in ("a8", "a4", "s8")})
    out = _load_layers(images, calibration_images, seed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **{f"{kind}/{layer.name}/{f}": v
                                     for kind, layers in out.kinds().items() for layer in layers
                                     for f, v in (("A", layer.A), ("W", layer.W),
                                                  ("bits", np.array(layer.act_bits)))})
    return out


def _load_layers(images: int, calibration_images: int, seed: int) -> StreamSet:
    from ..data import calibration_batches, load_fashion_mnist, to_tensor
    from ..models.train import load
    from ..quant.gemm import layer_gemms
    from ..quant.quantize import calibrate, quantize_model

    torch.set_num_threads(2)
    xtr, _ = load_fashion_mnist("train")
    calib = calibration_batches(to_tensor(xtr), calibration_images, seed)
    xte, _ = load_fashion_mnist("test")
    x = to_tensor(xte[:images])
    out, models = {}, {}
    for kind, pruned, bits in (("a8", False, 8), ("a4", False, 4), ("s8", True, 8)):
        if pruned not in models:
            model = load(pruned=pruned)
            models[pruned] = (model, calibrate(model, calib, calibration_images))
        model, stats = models[pruned]
        qm = quantize_model(model, None, calib, act_bits=bits, stc=False, stats=stats)
        gemms = layer_gemms(qm, x, layers=CONV_LAYERS)
        out[kind] = [Layer(g.name, g.A.astype(np.int64), g.W.astype(np.int64), bits)
                     for g in gemms]
    return StreamSet(**out)


def _random_codes(rng, shape, zero_share: float, lo: int, hi: int) -> np.ndarray:
    v = rng.integers(lo, hi + 1, size=shape)
    return np.where(rng.random(shape) < zero_share, 0, v)


def _random_weights(rng, w: np.ndarray, sparse: bool) -> np.ndarray:
    share = float((w == 0).mean())
    v = rng.integers(-128, 127, size=w.shape)
    v = np.where(v >= 0, v + 1, v)                      # -128..-1, 1..127
    if sparse:
        return np.where(w == 0, 0, v)                   # keep the 2:4 pattern
    return np.where(rng.random(w.shape) < share, 0, v)


def derive(real: StreamSet, seed: int = 1) -> dict[str, StreamSet]:
    """{stream name: StreamSet}: the real layers, their random twins and the zero floor."""
    rng = np.random.default_rng(seed)
    out = {"real": real}
    rand, zero = {}, {}
    for kind, layers in real.kinds().items():
        rand[kind], zero[kind] = [], []
        for layer in layers:
            top = (1 << layer.act_bits) - 1
            a = _random_codes(rng, layer.A.shape, layer.zero_share, 1, top)
            w = _random_weights(rng, layer.W, sparse=kind == "s8")
            rand[kind].append(Layer(layer.name, a, w, layer.act_bits))
            zero[kind].append(Layer(layer.name, np.zeros_like(layer.A), layer.W,
                                    layer.act_bits))
    out["random"] = StreamSet(**rand)
    out["zero"] = StreamSet(**zero)
    return out


def tiles(layers: list, count: int, seed: int = 2) -> list[tuple[int, int, int]]:
    """(layer index, m, n) of ``count`` tiles, layers alternating, rows and columns at random."""
    rng = np.random.default_rng(seed)
    out = []
    for t in range(count):
        li = t % len(layers)
        m = int(rng.integers(0, layers[li].A.shape[0]))
        n = int(rng.integers(0, layers[li].W.shape[1]))
        out.append((li, m, n))
    return out
