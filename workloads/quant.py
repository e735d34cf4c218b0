"""Post-training quantization as the SPARQ paper does it, plus SPARQ on top.

Section 5 of the paper and the authors' ``QuantConv2d.py`` (gilshm/sparq):

* activations: unsigned, per layer, ``scale = range / (2**bits - 1)``, codes
  ``clamp(round(x / scale), 0, 2**bits - 1)`` (round half to even, as
  ``torch.round``).  ``range`` is, as in the authors' code, the mean over the
  calibration images of each image's maximum input to the layer
  (``act_range="mean_max"``); ``"max"`` takes the plain maximum instead;
* weights: signed 8-bit, symmetric, per output channel:
  ``scale = 2 * max|w| / 255``, codes ``clamp(round(w / scale), -128, 127)``;
* bias: as the authors, quantized to 8 bits symmetric per layer and used in
  floating point (``quantize_bias=False`` keeps it in FP32);
* the first convolution (the first Conv2d or Linear the forward pass runs) is
  left intact (FP32);  every other Conv2d and Linear is quantized, and SPARQ
  (``cfg``, a :class:`golden.sparq.Config`) approximates its input codes.
  The authors' ResNets quantize convolutions only and keep the final Linear in
  FP32; here Linear layers are quantized too (``quantize_linear=False`` to match them);
* BatchNorm running statistics are recalibrated on the calibration images with
  the quantized model, as the paper does (only if the model has BatchNorm).

A quantized layer computes, exactly in integers,
``acc = sum_k approx(A[m, k]) * W[k, n]`` where ``A`` is the im2col matrix of the
input codes with the input channels innermost per kernel tap
(``k = (kh * KW + kw) * C + c``), so a SPARQ pair is two adjacent input channels
at the same tap, exactly as ``golden.sparq.matmul`` pairs along K.  Its output is
``scale_a * scale_w[n] * acc + bias[n]``.  :func:`layer_gemms` returns ``A``,
``W``, the scales and the bias of every quantized layer for a batch of images.

For speed the convolution does not build the im2col matrix: with an even number
of input channels, approximating pairs of channels on the activation map and
then convolving is the same sum (each map pair is the pair every tap sees, and
zero padding gives (0, 0) pairs either way).  The STC case (2:4-pruned weights,
``stc=True``), in which every output channel pairs the activations its non-zero
weights select, runs as one convolution over a 4x expanded input
(:func:`workloads.sparq_torch.stc_expand`).  Layers whose channel count does not
allow these shortcuts take the im2col path, which is the definition.
Accumulation runs in float32 when every partial sum provably stays below
2**24 (then it is exact), in float64 otherwise.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np

from golden.sparq import Config
from golden.sparq import matmul as golden_matmul

from ._torch import to_numpy, torch
from .sparq_torch import check_2to4, sparq_quantize, stc_expand, stc_expand_weight

nn = torch.nn
F = torch.nn.functional

__all__ = [
    "CalibrationStats", "calibrate", "quantize_model", "QuantConv2d", "QuantLinear",
    "QuantLayer", "LayerGemm", "layer_gemms", "quantize_weight", "im2col", "weight_matrix",
    "quantized_layers",
]

W_BITS = 8
_EXACT_F32 = 1 << 24


# ------------------------------------------------------------------ calibration

@dataclass
class CalibrationStats:
    """Per-layer input statistics of Conv2d/Linear layers, in forward order."""

    order: list[str] = field(default_factory=list)       # execution order of the layers
    mean_max: dict[str, float] = field(default_factory=dict)
    max: dict[str, float] = field(default_factory=dict)
    min: dict[str, float] = field(default_factory=dict)
    images: int = 0

    def range(self, name: str, how: str) -> float:
        if how == "mean_max":
            return self.mean_max[name]
        if how == "max":
            return self.max[name]
        raise ValueError(f"act_range must be 'mean_max' or 'max', got {how!r}")


def _batches(loader, limit: int | None):
    """Input tensors from a loader of tensors or (input, label, ...) sequences."""
    seen = 0
    for batch in loader:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        if limit is not None:
            if seen >= limit:
                return
            x = x[: limit - seen]
        seen += x.shape[0]
        yield x


def _is_target(m) -> bool:
    return isinstance(m, (nn.Conv2d, nn.Linear)) and not isinstance(m, QuantLayer)


@torch.no_grad()
def calibrate(model, loader, images: int | None = 2048) -> CalibrationStats:
    """Input statistics of every Conv2d and Linear over the first ``images`` images."""
    if loader is None:
        raise ValueError("a calibration loader is needed (the paper uses 2,048 training images)")
    stats = CalibrationStats()
    sums: dict[str, float] = {}
    names = {m: n for n, m in model.named_modules() if _is_target(m)}

    def hook(mod, inputs):
        name = names[mod]
        x = inputs[0].detach()
        if name not in sums:
            stats.order.append(name)
            sums[name] = 0.0
            stats.max[name] = -float("inf")
            stats.min[name] = float("inf")
        per_image = x.reshape(x.shape[0], -1).max(dim=1).values
        sums[name] += float(per_image.double().sum())
        stats.max[name] = max(stats.max[name], float(per_image.max()))
        stats.min[name] = min(stats.min[name], float(x.min()))

    handles = [m.register_forward_pre_hook(hook) for m in names]
    was_training = model.training
    model.eval()
    try:
        for x in _batches(loader, images):
            model(x)
            stats.images += x.shape[0]
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    if stats.images == 0:
        raise ValueError("the calibration loader gave no images")
    stats.mean_max = {n: sums[n] / stats.images for n in stats.order}
    return stats


# ------------------------------------------------------------------ quantizers

def quantize_weight(w: torch.Tensor, bits: int = W_BITS):
    """Symmetric per-output-channel codes and scales (the authors' formula).

    ``scale = 2 * max|w| / (2**bits - 1)``;
    codes ``clamp(round(w / scale), -2**(bits-1), 2**(bits-1) - 1)``.
    Returns ``(codes, scale)``: codes as a float tensor of whole numbers, scale (O,) float64.
    """
    w = w.detach().double()
    n = 1 << bits
    absmax = w.reshape(w.shape[0], -1).abs().max(dim=1).values
    scale = absmax * 2 / (n - 1)
    scale = torch.where(scale == 0, torch.ones_like(scale), scale)
    view = (-1,) + (1,) * (w.dim() - 1)
    codes = torch.clamp(torch.round(w / scale.view(view)), -n // 2, n // 2 - 1)
    return codes.float(), scale


def _quantize_bias(b: torch.Tensor, bits: int = W_BITS) -> torch.Tensor:
    """The authors' bias: symmetric per-layer 8-bit codes, used as floats (float64)."""
    b = b.detach().double()
    n = 1 << bits
    scale = float(b.abs().max()) * 2 / (n - 1)
    if scale == 0:
        return b.clone()
    return torch.clamp(torch.round(b / scale), -n // 2, n // 2 - 1) * scale


def im2col(codes: torch.Tensor, kernel_size, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """``(N, C, H, W)`` to ``(N * L, KH * KW * C)``: rows in (image, out-row, out-col)
    order, columns with the input channels innermost per kernel tap."""
    n, c = codes.shape[:2]
    cols = F.unfold(codes, kernel_size, dilation=dilation, padding=padding, stride=stride)
    taps = cols.shape[1] // c
    return cols.view(n, c, taps, -1).permute(0, 3, 2, 1).reshape(-1, taps * c)


def weight_matrix(w: torch.Tensor) -> torch.Tensor:
    """Conv weights ``(O, C, KH, KW)`` (or Linear ``(O, K)``) as ``(O, K)`` in im2col K order."""
    if w.dim() == 4:
        return w.permute(0, 2, 3, 1).reshape(w.shape[0], -1)
    return w


def _pad_to(t: torch.Tensor, dim: int, multiple: int) -> torch.Tensor:
    extra = -t.shape[dim] % multiple
    if not extra:
        return t
    shape = list(t.shape)
    shape[dim] = extra
    return torch.cat([t, t.new_zeros(shape)], dim=dim)


# ------------------------------------------------------------------ layers

class QuantLayer(nn.Module):
    """A Conv2d or Linear with quantized input activations and weights (and SPARQ)."""

    def __init__(self, layer, act_range: float, *, act_bits: int = 8, cfg: Config | None = None,
                 stc: bool = False, quantize_bias: bool = True, name: str = ""):
        super().__init__()
        if cfg is not None and not isinstance(cfg, Config):
            raise TypeError(f"cfg must be a golden.sparq.Config or None, got {type(cfg).__name__}")
        if cfg is not None and act_bits != 8:
            raise ValueError("SPARQ works on 8-bit activation codes: use act_bits=8 with a cfg")
        if not 1 <= act_bits <= 8:
            raise ValueError(f"act_bits must be 1..8, got {act_bits}")
        self.name = name
        self.cfg = cfg
        self.stc = bool(stc)
        self.act_bits = int(act_bits)
        self.qmax = (1 << act_bits) - 1
        self.act_range = float(act_range)
        if not self.act_range > 0:
            raise ValueError(f"layer {name!r}: calibrated activation range is {act_range}; "
                             f"a layer whose input is all zeros cannot be quantized")
        self.act_scale = self.act_range / self.qmax
        codes, w_scale = quantize_weight(layer.weight)
        self.register_buffer("w_codes", codes)
        self.register_buffer("w_scale", w_scale)
        if layer.bias is None:
            self.bias_q = None
        else:
            bias = _quantize_bias(layer.bias) if quantize_bias else layer.bias.detach().double()
            self.register_buffer("bias_q", bias)
        self.out_features = codes.shape[0]
        self._prepare()

    # subclasses: _prepare, _accumulate, _channels

    def _acc_dtype(self, weights_abs_sum: float) -> torch.dtype:
        per_act = (1 << 8) * (2 if self.stc and self.cfg is not None else 1)
        return torch.float32 if weights_abs_sum * per_act < _EXACT_F32 else torch.float64

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Unsigned activation codes (float tensor of whole numbers)."""
        if x.numel() and float(x.min()) < 0:
            raise ValueError(
                f"layer {self.name!r}: input has negative values (min {float(x.min()):.4g}); "
                "SPARQ and the unsigned activation quantizer need non-negative (post-ReLU) "
                "inputs. Leave this layer intact with quantize_model(..., skip=[name]).")
        return torch.clamp(torch.round(x / self.act_scale), 0, self.qmax)

    def accumulate(self, codes: torch.Tensor) -> torch.Tensor:
        """Exact integer accumulators (float32 or float64) in the layer's output layout."""
        return self._accumulate(codes)

    def forward(self, x):
        acc = self._accumulate(self.codes(x))
        scale = (self.act_scale * self.w_scale).to(acc.dtype)
        shape = (1, -1) + (1,) * (acc.dim() - 2)
        out = acc * scale.view(shape)
        if self.bias_q is not None:
            out = out + self.bias_q.to(acc.dtype).view(shape)
        return out.to(x.dtype)

    def extra_repr(self):
        mode = "A8W8" if self.cfg is None and self.act_bits == 8 else (
            f"uniform A{self.act_bits}W8" if self.cfg is None else f"A8W8 + SPARQ {self.cfg.name}")
        return f"{self.name!r}, {mode}{', STC pairing' if self.stc and self.cfg else ''}"


class QuantConv2d(QuantLayer):
    def __init__(self, layer, act_range, **kw):
        if layer.groups != 1:
            raise NotImplementedError(f"layer {kw.get('name', '')!r}: grouped convolution "
                                      f"(groups={layer.groups}) is not supported; skip it")
        if layer.padding_mode != "zeros" or isinstance(layer.padding, str):
            raise NotImplementedError(f"layer {kw.get('name', '')!r}: only numeric zero padding "
                                      f"is supported")
        self.kernel_size = tuple(layer.kernel_size)
        self.stride = tuple(layer.stride)
        self.padding = tuple(layer.padding)
        self.dilation = tuple(layer.dilation)
        self.in_channels = layer.in_channels
        super().__init__(layer, act_range, **kw)

    def _prepare(self):
        wmat = weight_matrix(self.w_codes)                      # (O, K)
        self.K = wmat.shape[1]
        c = self.in_channels
        sparq, stc = self.cfg is not None, self.stc and self.cfg is not None
        if self.stc:
            check_2to4(_pad_to(wmat, 1, 4), 1, f"layer {self.name!r} weights (im2col K order)")
        abs_sum = float(wmat.abs().sum(dim=1).max())
        self._dtype = self._acc_dtype(abs_sum)
        if stc:
            self._path = "map" if c % 4 == 0 else "im2col"
            if self._path == "map":
                self._w = stc_expand_weight(self.w_codes, dim=1).to(self._dtype)
            else:
                self._w = stc_expand_weight(_pad_to(wmat, 1, 4), dim=1).to(self._dtype)
        else:
            self._path = "map" if (not sparq or c % 2 == 0) else "im2col"
            self._w = (self.w_codes if self._path == "map" else wmat).to(self._dtype)

    def _conv(self, x, w):
        return F.conv2d(x, w, None, self.stride, self.padding, self.dilation)

    def _accumulate(self, codes):
        cfg, dt = self.cfg, self._dtype
        if self._path == "map":
            if cfg is None:
                a = codes
            elif self.stc:
                a = stc_expand(codes, cfg, dim=1)
            else:
                a = sparq_quantize(codes, cfg, dim=1, check=False)
            return self._conv(a.to(dt), self._w)
        # im2col: the definition
        n, _, h, w = codes.shape
        a = im2col(codes, self.kernel_size, self.stride, self.padding, self.dilation)
        if self.stc:
            a = stc_expand(_pad_to(a, 1, 4), cfg, dim=1)
        else:
            a = sparq_quantize(a, cfg, dim=1, check=False)
        out = a.to(dt) @ self._w.t()                              # (N * L, O)
        ho, wo = self._out_hw(h, w)
        return out.view(n, ho * wo, -1).permute(0, 2, 1).reshape(n, -1, ho, wo)

    def _out_hw(self, h, w):
        hw = []
        for size, k, s, p, d in zip((h, w), self.kernel_size, self.stride, self.padding,
                                    self.dilation, strict=True):
            hw.append((size + 2 * p - d * (k - 1) - 1) // s + 1)
        return tuple(hw)


class QuantLinear(QuantLayer):
    def _prepare(self):
        w = self.w_codes                                       # (O, K)
        self.K = w.shape[1]
        if self.stc:
            check_2to4(_pad_to(w, 1, 4), 1, f"layer {self.name!r} weights")
        self._dtype = self._acc_dtype(float(w.abs().sum(dim=1).max()))
        if self.stc and self.cfg is not None:
            self._w = stc_expand_weight(_pad_to(w, 1, 4), dim=1).to(self._dtype)
        else:
            self._w = w.to(self._dtype)

    def _accumulate(self, codes):
        if codes.dim() != 2:
            raise ValueError(f"layer {self.name!r}: QuantLinear takes (N, K) inputs, "
                             f"got shape {tuple(codes.shape)}")
        cfg = self.cfg
        if cfg is None:
            a = codes
        elif self.stc:
            a = stc_expand(_pad_to(codes, 1, 4), cfg, dim=1)
        else:
            a = sparq_quantize(codes, cfg, dim=1, check=False)
        return F.linear(a.to(self._dtype), self._w)


# ------------------------------------------------------------------ the model

def quantized_layers(qmodel) -> list[tuple[str, QuantLayer]]:
    """``(name, layer)`` of every quantized layer, in forward order."""
    order = getattr(qmodel, "sparq_layers", None)
    mods = dict(qmodel.named_modules())
    if order is None:
        return [(n, m) for n, m in mods.items() if isinstance(m, QuantLayer)]
    return [(n, mods[n]) for n in order]


def _set_module(root, name: str, new) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, new)


@torch.no_grad()
def _recalibrate_bn(qmodel, loader, images) -> bool:
    bns = [m for m in qmodel.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return False
    qmodel.eval()
    saved = []
    for m in bns:
        saved.append(m.momentum)
        m.reset_running_stats()
        m.momentum = None                       # cumulative average over the calibration set
        m.train()
    for x in _batches(loader, images):
        qmodel(x)
    for m, mom in zip(bns, saved, strict=True):
        m.momentum = mom
        m.eval()
    return True


def quantize_model(model, cfg: Config | None = None, calibration_loader=None, *,
                   act_bits: int = 8, stc: bool = False, calibration_images: int | None = 2048,
                   skip_first: bool = True, skip=(), quantize_linear: bool = True,
                   quantize_bias: bool = True, act_range: str = "mean_max",
                   recalibrate_bn: bool = True, stats: CalibrationStats | None = None):
    """A copy of ``model`` whose Conv2d/Linear layers (but the first) run A8W8 (+ SPARQ).

    Parameters
    ----------
    model : torch.nn.Module
        Left untouched.
    cfg : golden.sparq.Config or None
        The SPARQ configuration (e.g. ``Config.preset(5)``); ``None`` is plain
        A8W8 (or uniform A``act_bits``W8).
    calibration_loader : iterable
        Batches of input tensors (or ``(input, label)`` pairs).  The first
        ``calibration_images`` images give the activation ranges; the paper uses
        2,048 random training images.
    act_bits : int
        Uniform activation bits when ``cfg`` is None (the A4/A3/A2 baselines).
    stc : bool
        Weights are 2:4 sparse along K (checked) and SPARQ pairs the activations
        each output channel's non-zero weights select (SPARQ.md section 5).
    skip_first, skip, quantize_linear, quantize_bias, act_range, recalibrate_bn
        See the module docstring.
    stats : CalibrationStats
        Reuse statistics from :func:`calibrate` instead of running the loader.
    """
    if stats is None:
        stats = calibrate(model, calibration_loader, calibration_images)
    qmodel = copy.deepcopy(model).eval()
    mods = dict(qmodel.named_modules())
    order = [n for n in stats.order if n in mods]
    targets = order[1:] if skip_first else list(order)
    unknown = set(skip) - set(order)
    if unknown:
        raise ValueError(f"skip names {sorted(unknown)} are not Conv2d/Linear layers that the "
                         f"forward pass runs; those are {order}")
    targets = [n for n in targets if n not in set(skip)
               and (quantize_linear or not isinstance(mods[n], nn.Linear))]
    for name in targets:
        if stats.min[name] < 0:
            raise ValueError(
                f"layer {name!r}: calibration inputs go down to {stats.min[name]:.4g}; SPARQ "
                "needs non-negative (post-ReLU) activations. Pass skip=[...] to leave it intact.")
        kind = QuantConv2d if isinstance(mods[name], nn.Conv2d) else QuantLinear
        layer = kind(mods[name], stats.range(name, act_range), act_bits=act_bits, cfg=cfg,
                     stc=stc, quantize_bias=quantize_bias, name=name)
        _set_module(qmodel, name, layer)
    qmodel.sparq_layers = targets
    qmodel.sparq_intact = [n for n in order if n not in targets]
    qmodel.sparq_setting = {"cfg": cfg, "act_bits": act_bits, "stc": bool(stc),
                            "act_range": act_range, "calibration_images": stats.images}
    if recalibrate_bn and calibration_loader is not None:
        _recalibrate_bn(qmodel, calibration_loader, calibration_images)
    elif recalibrate_bn and any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                                for m in qmodel.modules()):
        warnings.warn("model has BatchNorm but no calibration loader was given: "
                      "running statistics were not recalibrated", stacklevel=2)
    return qmodel.eval()


# ------------------------------------------------------------------ integer view

@dataclass
class LayerGemm:
    """One quantized layer as an integer GEMM: ``out = scale_a * scale_w * (A @~ W) + bias``.

    ``A`` (M x K) holds the input activation codes (0..255 for A8W8/SPARQ) in
    im2col order, the input channels innermost per kernel tap; ``W`` (K x N)
    the weight codes (-128..127); ``@~`` is ``golden.sparq.matmul(A, W, cfg, stc)``
    (a plain product when ``cfg`` is None).  Conv rows run over (image, out-row,
    out-col): :meth:`to_layer_layout` folds an (M, N) result back to ``out_shape``.
    """

    name: str
    kind: str
    A: np.ndarray
    W: np.ndarray
    scale_a: float
    scale_w: np.ndarray
    bias: np.ndarray | None
    cfg: Config | None
    stc: bool
    act_bits: int
    out_shape: tuple
    output: np.ndarray          # the model's own output of this layer, (M, N) float32

    def accumulate(self, acc_width: int = 32) -> np.ndarray:
        """Integer accumulators from the golden model, (M, N) int64."""
        if self.cfg is None:
            return self.A @ self.W
        return golden_matmul(self.A, self.W, self.cfg, stc=self.stc, acc_width=acc_width)

    def reference(self) -> np.ndarray:
        """``scale_a * scale_w * accumulate() + bias``, (M, N) float64."""
        out = self.scale_a * self.scale_w[None, :] * self.accumulate().astype(np.float64)
        return out if self.bias is None else out + self.bias[None, :]

    def to_layer_layout(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "linear":
            return y.reshape(self.out_shape)
        n, o, h, w = self.out_shape
        return y.reshape(n, h, w, o).transpose(0, 3, 1, 2)


def _rows(y: torch.Tensor) -> torch.Tensor:
    """Layer output to (M, N): conv (n, o, h, w) -> (n * h * w, o)."""
    return y.permute(0, 2, 3, 1).reshape(-1, y.shape[1]) if y.dim() == 4 else y


@torch.no_grad()
def layer_gemms(qmodel, images: torch.Tensor, layers=None) -> list[LayerGemm]:
    """The integer GEMM of every quantized layer (or of ``layers``) for ``images``."""
    chosen = [(n, m) for n, m in quantized_layers(qmodel) if layers is None or n in layers]
    captured: dict[str, tuple] = {}

    def hook(mod, inputs, output):
        captured[mod.name] = (inputs[0].detach(), output.detach())

    handles = [m.register_forward_hook(hook) for _, m in chosen]
    try:
        qmodel.eval()
        qmodel(images)
    finally:
        for h in handles:
            h.remove()
    out = []
    for name, m in chosen:
        x, y = captured[name]
        codes = m.codes(x)
        if isinstance(m, QuantConv2d):
            a = im2col(codes, m.kernel_size, m.stride, m.padding, m.dilation)
            kind = "conv"
        else:
            a, kind = codes, "linear"
        out.append(LayerGemm(
            name=name, kind=kind,
            A=to_numpy(a.round().long()), W=to_numpy(weight_matrix(m.w_codes).t().round().long()),
            scale_a=float(m.act_scale), scale_w=to_numpy(m.w_scale.double()),
            bias=None if m.bias_q is None else to_numpy(m.bias_q.double()),
            cfg=m.cfg, stc=m.stc, act_bits=m.act_bits, out_shape=tuple(y.shape),
            output=to_numpy(_rows(y).float().contiguous())))
    return out
