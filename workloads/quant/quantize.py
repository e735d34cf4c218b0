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
* a layer whose calibration inputs go below zero (after SiLU, Hardswish, GELU, a
  LayerNorm, or a residual add without a ReLU) cannot take SPARQ, which needs
  unsigned codes: by default it runs A8W8 with signed, symmetric activation codes
  ``clamp(round(x / scale), -128, 127)``, ``scale = range / 127`` with ``range``
  the same statistic of ``|x|`` (``signed_inputs="a8w8"``; ``"fp32"`` leaves such
  layers intact, ``"raise"`` refuses them);
* BatchNorm running statistics are recalibrated on the calibration images with
  the quantized model, as the paper does (only if the model has BatchNorm).

Every Conv2d and Linear the forward pass runs gets a :class:`LayerPolicy`
(``qmodel.sparq_policy``): SPARQ, A8W8, uniform A\\ *b*, A8W8 signed or FP32, and why.

A quantized layer computes, exactly in integers,
``acc = sum_k approx(A[m, k]) * W[k, n]`` where ``A`` is the im2col matrix of the
input codes with the input channels innermost per kernel tap
(``k = (kh * KW + kw) * C + c``), so a SPARQ pair is two adjacent input channels
at the same tap, exactly as ``golden.sparq.matmul`` pairs along K.  A grouped
convolution (``groups = G``) is G such GEMMs side by side: group ``g`` reduces
over its own ``C / G`` channels (``k = (kh * KW + kw) * C/G + c``), its pairs never
cross into another group, and a depthwise layer (one channel a group) pairs
neighbouring kernel taps.  Its output is ``scale_a * scale_w[n] * acc + bias[n]``.

For speed the convolution does not build the im2col matrix when it can avoid it:
with an even number of input channels per group, approximating pairs of channels
on the activation map and then convolving is the same sum (each map pair is the
pair every tap sees, and zero padding gives (0, 0) pairs either way).  The STC
case (2:4-pruned weights, ``stc=True``), in which every output channel pairs the
activations its non-zero weights select, runs as one convolution over a 4x
expanded input (:func:`workloads.quant.sparq_torch.stc_expand`).  Layers whose
channel count does not allow these shortcuts take the im2col path, which is the
definition.  Accumulation runs in float32 when every partial sum provably stays
below 2**24 (then it is exact), in float64 otherwise.
"""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass, field

from golden.sparq import Config

from .._torch import torch
from .sparq_torch import check_2to4, sparq_quantize, stc_expand, stc_expand_weight, value_tables

nn = torch.nn
F = torch.nn.functional

__all__ = [
    "CalibrationStats", "calibrate", "quantize_model", "QuantConv2d", "QuantLinear",
    "QuantLayer", "LayerPolicy", "layer_policies", "quantize_weight", "im2col",
    "group_im2col", "weight_matrix", "quantized_layers", "SIGNED_INPUTS",
]

W_BITS = 8
_EXACT_F32 = 1 << 24
#: What quantize_model does with a layer whose calibration inputs are negative.
SIGNED_INPUTS = ("a8w8", "fp32", "raise")
#: Elements of one im2col chunk (M x G x K): bounds the memory of the definition path.
_IM2COL_CHUNK = 1 << 24


# ------------------------------------------------------------------ calibration

@dataclass
class CalibrationStats:
    """Per-layer input statistics of Conv2d/Linear layers, in forward order.

    ``mean_max``/``max`` are of the inputs, ``mean_absmax``/``absmax`` of their
    magnitudes (the range of signed codes), ``min`` the smallest input;
    ``input_shape``/``output_shape`` one sample's shapes (the batch axis dropped).
    """

    order: list[str] = field(default_factory=list)       # execution order of the layers
    mean_max: dict[str, float] = field(default_factory=dict)
    max: dict[str, float] = field(default_factory=dict)
    min: dict[str, float] = field(default_factory=dict)
    mean_absmax: dict[str, float] = field(default_factory=dict)
    absmax: dict[str, float] = field(default_factory=dict)
    input_shape: dict[str, tuple] = field(default_factory=dict)
    output_shape: dict[str, tuple] = field(default_factory=dict)
    images: int = 0

    def range(self, name: str, how: str, signed: bool = False) -> float:
        if how not in ("mean_max", "max"):
            raise ValueError(f"act_range must be 'mean_max' or 'max', got {how!r}")
        if signed:
            return (self.mean_absmax if how == "mean_max" else self.absmax)[name]
        return (self.mean_max if how == "mean_max" else self.max)[name]


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
    sums: dict[str, list[float]] = {}
    names = {m: n for n, m in model.named_modules() if _is_target(m)}

    def pre_hook(mod, inputs):
        name = names[mod]
        x = inputs[0].detach()
        if name not in sums:
            stats.order.append(name)
            sums[name] = [0.0, 0.0]
            stats.max[name] = stats.absmax[name] = -float("inf")
            stats.min[name] = float("inf")
            stats.input_shape[name] = tuple(x.shape[1:])
        flat = x.reshape(x.shape[0], -1)
        per_image = flat.max(dim=1).values
        per_image_abs = flat.abs().max(dim=1).values
        sums[name][0] += float(per_image.double().sum())
        sums[name][1] += float(per_image_abs.double().sum())
        stats.max[name] = max(stats.max[name], float(per_image.max()))
        stats.absmax[name] = max(stats.absmax[name], float(per_image_abs.max()))
        stats.min[name] = min(stats.min[name], float(x.min()))

    def hook(mod, inputs, output):
        stats.output_shape.setdefault(names[mod], tuple(output.shape[1:]))

    handles = [m.register_forward_pre_hook(pre_hook) for m in names]
    handles += [m.register_forward_hook(hook) for m in names]
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
    stats.mean_max = {n: sums[n][0] / stats.images for n in stats.order}
    stats.mean_absmax = {n: sums[n][1] / stats.images for n in stats.order}
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


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _taps(codes: torch.Tensor, kernel_size, stride, padding, dilation) -> torch.Tensor:
    """``(N, C, H, W)`` to ``(N, C, KH * KW, Ho, Wo)``: every kernel tap's input, zero padded
    (the same numbers as ``F.unfold``, an order of magnitude faster on torch 1.13's CPU)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (kernel_size, stride, padding, dilation))
    _, _, h, w = codes.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = F.pad(codes, (pw, pw, ph, ph)) if ph or pw else codes
    return torch.stack([xp[:, :, i * dh: i * dh + sh * (ho - 1) + 1: sh,
                           j * dw: j * dw + sw * (wo - 1) + 1: sw]
                        for i in range(kh) for j in range(kw)], dim=2)


def _tap_view(maps: torch.Tensor, kernel_size, stride, padding, dilation):
    """A function of the tap index giving that tap's input view ``(N, C, Ho, Wo)`` of
    ``maps`` (zero padded once), as :func:`_taps` stacks them."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (kernel_size, stride, padding, dilation))
    _, _, h, w = maps.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = F.pad(maps, (pw, pw, ph, ph)) if ph or pw else maps

    def view(t: int) -> torch.Tensor:
        i, j = divmod(t, kw)
        return xp[:, :, i * dh: i * dh + sh * (ho - 1) + 1: sh,
                  j * dw: j * dw + sw * (wo - 1) + 1: sw]
    return view


def _group_columns(codes: torch.Tensor, kernel_size, stride, padding, dilation,
                   groups: int) -> torch.Tensor:
    """``(N, G, Kg, L)``: per image and group the im2col columns, K in im2col order (the
    group's channels innermost per tap), L the output positions."""
    cols = _taps(codes, kernel_size, stride, padding, dilation)       # (N, C, T, Ho, Wo)
    n, c, taps = cols.shape[:3]
    cg = c // groups
    cols = cols.reshape(n, groups, cg, taps, -1)
    if cg > 1:
        cols = cols.transpose(2, 3)
    return cols.reshape(n, groups, taps * cg, -1)


def group_im2col(codes: torch.Tensor, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1) -> torch.Tensor:
    """``(N, C, H, W)`` to ``(N * L, G, KH * KW * C/G)``: rows in (image, out-row, out-col)
    order; per group, columns with that group's input channels innermost per kernel tap."""
    cols = _group_columns(codes, kernel_size, stride, padding, dilation, groups)
    n, g, k, _ = cols.shape
    return cols.permute(0, 3, 1, 2).reshape(-1, g, k)


def im2col(codes: torch.Tensor, kernel_size, stride=1, padding=0, dilation=1,
           groups: int = 1) -> torch.Tensor:
    """``(N, C, H, W)`` to ``(N * L, G * KH * KW * C/G)``: the groups' im2col matrices side by
    side (group-major), each with its input channels innermost per kernel tap."""
    a = group_im2col(codes, kernel_size, stride, padding, dilation, groups)
    return a.reshape(a.shape[0], -1)


def weight_matrix(w: torch.Tensor) -> torch.Tensor:
    """Conv weights ``(O, C/G, KH, KW)`` (or Linear ``(O, K)``) as ``(O, K)`` in im2col K
    order (K per group for a grouped convolution)."""
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
    """A Conv2d or Linear with quantized input activations and weights (and SPARQ).

    ``signed=True``: signed symmetric activation codes (no SPARQ), for a layer
    whose inputs go below zero.
    """

    def __init__(self, layer, act_range: float, *, act_bits: int = 8, cfg: Config | None = None,
                 stc: bool = False, quantize_bias: bool = True, name: str = "",
                 signed: bool = False):
        super().__init__()
        if cfg is not None and not isinstance(cfg, Config):
            raise TypeError(f"cfg must be a golden.sparq.Config or None, got {type(cfg).__name__}")
        if cfg is not None and act_bits != 8:
            raise ValueError("SPARQ works on 8-bit activation codes: use act_bits=8 with a cfg")
        if cfg is not None and signed:
            raise ValueError(f"layer {name!r}: SPARQ needs unsigned activation codes; a layer "
                             f"with signed inputs runs with cfg=None")
        if not 2 <= act_bits <= 8:
            raise ValueError(f"act_bits must be 2..8, got {act_bits}")
        self.name = name
        self.cfg = cfg
        self.stc = bool(stc)
        self.signed = bool(signed)
        self.act_bits = int(act_bits)
        self.qmax = (1 << (act_bits - 1)) - 1 if signed else (1 << act_bits) - 1
        self.qmin = -(1 << (act_bits - 1)) if signed else 0
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

    # subclasses: _prepare, _accumulate

    @property
    def policy(self) -> str:
        """``"SPARQ"``, ``"A8W8"``, ``"uniform A4"`` (3, 2), or ``"A8W8 signed"``."""
        if self.cfg is not None:
            return "SPARQ"
        base = "A8W8" if self.act_bits == 8 else f"uniform A{self.act_bits}"
        return f"{base} signed" if self.signed else base

    def _acc_dtype(self, weights_abs_sum: float) -> torch.dtype:
        per_act = (1 << 8) * (2 if self.stc and self.cfg is not None else 1)
        return torch.float32 if weights_abs_sum * per_act < _EXACT_F32 else torch.float64

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Activation codes (a float tensor of whole numbers): 0..2**bits-1, or signed."""
        if not self.signed and x.numel() and float(x.min()) < 0:
            raise ValueError(
                f"layer {self.name!r}: input has negative values (min {float(x.min()):.4g}) "
                "but the layer was calibrated on non-negative inputs; SPARQ and the unsigned "
                "quantizer need non-negative codes. Calibrate on data like this input (then "
                "the layer runs A8W8 signed), or leave it intact with skip=[name].")
        return torch.clamp(torch.round(x / self.act_scale), self.qmin, self.qmax)

    def accumulate(self, codes: torch.Tensor) -> torch.Tensor:
        """Exact integer accumulators (float32 or float64) in the layer's output layout."""
        return self._accumulate(codes)

    def forward(self, x):
        acc = self._accumulate(self.codes(x))
        scale = (self.act_scale * self.w_scale).to(acc.dtype)
        shape = self._channel_view(acc)
        out = acc * scale.view(shape)
        if self.bias_q is not None:
            out = out + self.bias_q.to(acc.dtype).view(shape)
        return out.to(x.dtype)

    def extra_repr(self):
        mode = f"A8W8 + SPARQ {self.cfg.name}" if self.cfg is not None else self.policy
        return f"{self.name!r}, {mode}{', STC pairing' if self.stc and self.cfg else ''}"


class QuantConv2d(QuantLayer):
    def __init__(self, layer, act_range, **kw):
        reason = conv_unsupported(layer)
        if reason:
            raise NotImplementedError(f"layer {kw.get('name', '')!r}: {reason}")
        self.kernel_size = tuple(layer.kernel_size)
        self.stride = tuple(layer.stride)
        self.padding = _numeric_padding(layer)
        self.dilation = tuple(layer.dilation)
        self.in_channels = layer.in_channels
        self.groups = layer.groups
        super().__init__(layer, act_range, **kw)

    def _channel_view(self, acc):
        return (1, -1, 1, 1)

    def _prepare(self):
        wmat = weight_matrix(self.w_codes)                      # (O, Kg)
        self.K = wmat.shape[1]
        cg = self.in_channels // self.groups
        sparq, stc = self.cfg is not None, self.stc and self.cfg is not None
        if self.stc:
            check_2to4(_pad_to(wmat, 1, 4), 1, f"layer {self.name!r} weights (im2col K order)")
        abs_sum = float(wmat.abs().sum(dim=1).max())
        self._dtype = self._acc_dtype(abs_sum)
        g, o = self.groups, self.out_features
        if sparq and cg == 1 and g > 1:
            self._path = "taps"                                 # depthwise: pairs of taps
            self._prepare_taps(wmat)
        elif stc:
            self._path = "map" if cg % 4 == 0 else "im2col"
            if self._path == "map":
                self._w = stc_expand_weight(self.w_codes, dim=1).to(self._dtype)
            else:                                               # (G, Og, 4 * Kg4)
                self._w = stc_expand_weight(_pad_to(wmat, 1, 4), dim=1).to(self._dtype) \
                    .reshape(g, o // g, -1)
        else:
            self._path = "map" if (not sparq or cg % 2 == 0) else "im2col"
            self._w = (self.w_codes if self._path == "map"
                       else wmat.reshape(g, o // g, -1)).to(self._dtype)

    def _conv(self, x, w):
        return F.conv2d(x, w, None, self.stride, self.padding, self.dilation, self.groups)

    def _prepare_taps(self, wmat):
        """A depthwise layer (one input channel a group): K is the kernel taps, and an
        output channel's pairs are two taps of its own channel.  Since a value's
        approximation depends only on whether its partner is zero,
        ``approx(x_i) = L(x_i) + D(x_i) [x_j != 0]`` (``L`` the lone window, ``D = B - L``,
        :func:`~workloads.quant.sparq_torch.value_tables`), the layer is a sum of
        per-channel weights times shifted maps of ``L(x)`` and of ``D(x) [x_j != 0]``:
        ``_lone`` holds ``(i, w_i)``, ``_pairs`` ``(i, j, c_ij)`` with ``j`` the partner tap.
        Dense pairing: the fixed pairs ``(2p, 2p + 1)``, ``c_ij = w_i``.  STC: in each
        group of 4 taps, the taps an output channel's non-zero weights select,
        ``c_ij = w_i [w_j != 0]``."""
        o, taps = wmat.shape
        w = wmat.to(self._dtype)
        self._lone = [(i, w[:, i].contiguous()) for i in range(taps) if bool(w[:, i].any())]
        pairs = []
        for i in range(taps):
            if self.stc:
                mates = [j for j in range(i - i % 4, min(i - i % 4 + 4, taps)) if j != i]
                for j in mates:
                    c = w[:, i] * (w[:, j] != 0).to(self._dtype)
                    if bool(c.any()):
                        pairs.append((i, j, c.contiguous()))
            elif (i ^ 1) < taps and bool(w[:, i].any()):
                pairs.append((i, i ^ 1, w[:, i].contiguous()))
        self._pairs = pairs
        self._w = None

    def _taps_accumulate(self, codes):
        b_tab, l_tab = value_tables(self.cfg)
        o, c = self.out_features, codes.shape[1]
        idx = codes.long()
        if o != c:                                   # a channel multiplier: per output
            idx = idx.index_select(1, torch.arange(o) // (o // c))
        dt = self._dtype
        lone, diff = l_tab.to(dt)[idx], (b_tab - l_tab).to(dt)[idx]
        nonzero = (idx != 0).to(dt)
        tap = functools.partial(_tap_view, kernel_size=self.kernel_size, stride=self.stride,
                                padding=self.padding, dilation=self.dilation)
        lone_t, diff_t, nz_t = tap(lone), tap(diff), tap(nonzero)
        n, _, ho, wo = lone_t(0).shape
        acc = torch.zeros(n, o, ho, wo, dtype=dt)
        for i, wi in self._lone:
            acc.addcmul_(lone_t(i), wi.view(1, o, 1, 1))
        for i, j, cij in self._pairs:
            acc.addcmul_(diff_t(i) * nz_t(j), cij.view(1, o, 1, 1))
        return acc

    def _accumulate(self, codes):
        cfg, dt = self.cfg, self._dtype
        if self._path == "taps":
            return self._taps_accumulate(codes)
        if self._path == "map":
            if cfg is None:
                a = codes
            elif self.stc:
                a = stc_expand(codes, cfg, dim=1)
            else:
                a = sparq_quantize(codes, cfg, dim=1, check=False)
            return self._conv(a.to(dt), self._w)
        # im2col, group by group: the definition (in chunks of images, to bound memory)
        n, _, h, w = codes.shape
        ho, wo = self._out_hw(h, w)
        per_image = ho * wo * self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        step = max(1, _IM2COL_CHUNK // max(1, per_image * (4 if self.stc else 1)))
        outs = [self._im2col_accumulate(codes[i:i + step]) for i in range(0, n, step)]
        out = torch.cat(outs) if len(outs) > 1 else outs[0]          # (N, G, Og, L)
        return out.reshape(n, -1, ho, wo)

    def _im2col_accumulate(self, codes):
        a = _group_columns(codes, self.kernel_size, self.stride, self.padding, self.dilation,
                           self.groups)                               # (N, G, Kg, L)
        if self.stc:
            a = stc_expand(_pad_to(a, 2, 4), self.cfg, dim=2)
        else:
            a = sparq_quantize(a, self.cfg, dim=2, check=False)
        return torch.einsum("ngkl,gok->ngol", a.to(self._dtype), self._w)

    def _out_hw(self, h, w):
        hw = []
        for size, k, s, p, d in zip((h, w), self.kernel_size, self.stride, self.padding,
                                    self.dilation, strict=True):
            hw.append((size + 2 * p - d * (k - 1) - 1) // s + 1)
        return tuple(hw)


def _numeric_padding(layer) -> tuple[int, int]:
    """The layer's zero padding as two numbers (``"valid"`` is 0, ``"same"`` when symmetric)."""
    if layer.padding == "valid":
        return (0, 0)
    if layer.padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(layer.kernel_size, layer.dilation,
                                                      strict=True))
    return tuple(layer.padding)


def conv_unsupported(layer) -> str | None:
    """Why a Conv2d cannot be quantized here (None if it can)."""
    if layer.padding_mode != "zeros":
        return f"padding_mode={layer.padding_mode!r} (only zero padding is supported)"
    if layer.padding == "same" and any(d * (k - 1) % 2 for k, d in zip(
            layer.kernel_size, layer.dilation, strict=True)):
        return "padding='same' with an even kernel extent (asymmetric padding)"
    return None


class QuantLinear(QuantLayer):
    def _channel_view(self, acc):
        return (1,) * (acc.dim() - 1) + (-1,)

    def _prepare(self):
        w = self.w_codes                                       # (O, K)
        self.K = w.shape[1]
        self.groups = 1
        if self.stc:
            check_2to4(_pad_to(w, 1, 4), 1, f"layer {self.name!r} weights")
        self._dtype = self._acc_dtype(float(w.abs().sum(dim=1).max()))
        if self.stc and self.cfg is not None:
            self._w = stc_expand_weight(_pad_to(w, 1, 4), dim=1).to(self._dtype)
        else:
            self._w = w.to(self._dtype)

    def _accumulate(self, codes):
        if codes.dim() < 1 or codes.shape[-1] != self.K:
            raise ValueError(f"layer {self.name!r}: QuantLinear takes (..., {self.K}) inputs, "
                             f"got shape {tuple(codes.shape)}")
        lead = codes.shape[:-1]
        a = codes.reshape(-1, self.K)
        cfg = self.cfg
        if cfg is not None and self.stc:
            a = stc_expand(_pad_to(a, 1, 4), cfg, dim=1)
        elif cfg is not None:
            a = sparq_quantize(a, cfg, dim=1, check=False)
        return F.linear(a.to(self._dtype), self._w).reshape(*lead, -1)


# ------------------------------------------------------------------ policy

@dataclass(frozen=True)
class LayerPolicy:
    """What quantization does with one Conv2d or Linear layer, and why."""

    name: str
    kind: str           # "conv" or "linear"
    policy: str         # "SPARQ", "A8W8", "uniform A4", "A8W8 signed", "FP32", ...
    reason: str
    signed: bool = False

    @property
    def quantized(self) -> bool:
        return self.policy != "FP32"


def _kind(mod) -> str:
    return "conv" if isinstance(mod, nn.Conv2d) else "linear"


def layer_policies(model, stats: CalibrationStats, cfg: Config | None = None, *,
                   act_bits: int = 8, skip_first: bool = True, skip=(),
                   quantize_linear: bool = True,
                   signed_inputs: str = "a8w8") -> dict[str, LayerPolicy]:
    """The policy of every Conv2d/Linear in ``stats.order``: the rules of
    :func:`quantize_model`, which calls it."""
    if signed_inputs not in SIGNED_INPUTS:
        raise ValueError(f"signed_inputs must be one of {', '.join(SIGNED_INPUTS)}, "
                         f"got {signed_inputs!r}")
    mods = dict(model.named_modules())
    order = [n for n in stats.order if n in mods]
    unknown = sorted(set(skip) - set(order))
    if unknown:
        raise ValueError(f"skip names {unknown} are not Conv2d/Linear layers that the "
                         f"forward pass runs; those are {order}")
    base = "SPARQ" if cfg is not None else "A8W8" if act_bits == 8 else f"uniform A{act_bits}"
    out = {}
    for i, name in enumerate(order):
        mod, low = mods[name], stats.min[name]
        kind = _kind(mod)
        signed = low < 0

        def fp32(reason, name=name, kind=kind, signed=signed):
            return LayerPolicy(name, kind, "FP32", reason, signed)

        if i == 0 and skip_first:
            out[name] = fp32("the first layer (left intact, as in the paper)")
        elif name in set(skip):
            out[name] = fp32("named in skip=")
        elif kind == "linear" and not quantize_linear:
            out[name] = fp32("a Linear layer, quantize_linear=False")
        elif kind == "conv" and conv_unsupported(mod):
            out[name] = fp32(conv_unsupported(mod))
        elif stats.range(name, "max", signed) <= 0:
            out[name] = fp32("its calibration inputs are all zero")
        elif signed and signed_inputs == "raise":
            raise ValueError(
                f"layer {name!r}: calibration inputs go down to {low:.4g}; SPARQ needs "
                "non-negative (post-ReLU) activations. Use signed_inputs='a8w8' (the default: "
                "the layer runs A8W8 with signed codes) or 'fp32', or pass skip=[...].")
        elif signed and signed_inputs == "fp32":
            out[name] = fp32(f"signed inputs (down to {low:.3g}), signed_inputs='fp32'")
        elif signed:
            pol = "A8W8 signed" if act_bits == 8 else f"uniform A{act_bits} signed"
            out[name] = LayerPolicy(
                name, kind, pol, f"signed inputs (down to {low:.3g}); SPARQ needs unsigned "
                                 "codes", True)
        else:
            why = ("non-negative inputs" if cfg is not None else
                   "cfg=None" if act_bits == 8 else f"act_bits={act_bits}")
            out[name] = LayerPolicy(name, kind, base, why, False)
    return out


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
                   recalibrate_bn: bool = True, stats: CalibrationStats | None = None,
                   signed_inputs: str = "a8w8"):
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
    signed_inputs : str
        A layer whose calibration inputs go below zero: ``"a8w8"`` (default) runs it
        A8W8 with signed codes, ``"fp32"`` leaves it intact, ``"raise"`` refuses it.
    skip_first, skip, quantize_linear, quantize_bias, act_range, recalibrate_bn
        See the module docstring.
    stats : CalibrationStats
        Reuse statistics from :func:`calibrate` instead of running the loader.

    The result carries ``sparq_policy`` (``{name: LayerPolicy}`` for every Conv2d and
    Linear the forward pass runs), ``sparq_layers`` (the quantized ones, in forward
    order), ``sparq_intact`` (the FP32 ones) and ``sparq_setting``.
    """
    if act_range not in ("mean_max", "max"):
        raise ValueError(f"act_range must be 'mean_max' or 'max', got {act_range!r}")
    if stats is None:
        stats = calibrate(model, calibration_loader, calibration_images)
    policies = layer_policies(model, stats, cfg, act_bits=act_bits, skip_first=skip_first,
                              skip=skip, quantize_linear=quantize_linear,
                              signed_inputs=signed_inputs)
    qmodel = copy.deepcopy(model).eval()
    mods = dict(qmodel.named_modules())
    targets = [n for n, p in policies.items() if p.quantized]
    for name in targets:
        signed = policies[name].signed
        kind = QuantConv2d if isinstance(mods[name], nn.Conv2d) else QuantLinear
        layer = kind(mods[name], stats.range(name, act_range, signed), act_bits=act_bits,
                     cfg=None if signed else cfg, stc=stc, quantize_bias=quantize_bias,
                     name=name, signed=signed)
        _set_module(qmodel, name, layer)
    qmodel.sparq_layers = targets
    qmodel.sparq_intact = [n for n, p in policies.items() if not p.quantized]
    qmodel.sparq_policy = policies
    qmodel.sparq_setting = {"cfg": cfg, "act_bits": act_bits, "stc": bool(stc),
                            "act_range": act_range, "calibration_images": stats.images,
                            "signed_inputs": signed_inputs}
    if recalibrate_bn and calibration_loader is not None:
        _recalibrate_bn(qmodel, calibration_loader, calibration_images)
    elif recalibrate_bn and any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                                for m in qmodel.modules()):
        warnings.warn("model has BatchNorm but no calibration loader was given: "
                      "running statistics were not recalibrated", stacklevel=2)
    return qmodel.eval()
