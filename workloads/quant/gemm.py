"""The integer view of a quantized model: every quantized layer as an integer GEMM.

A grouped convolution (``groups = G``) is one record whose ``A`` holds the G groups'
im2col matrices side by side (``(M, G * Kg)``, group-major) and whose ``W`` holds their
weights side by side along N (``(Kg, N)``, output column ``n`` in group ``n // (N / G)``):
the layout ``verif.runner.run_gemm(A, W, groups=G)`` takes.  :meth:`LayerGemm.group`
gives one group's GEMM.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from golden.sparq import Config
from golden.sparq import matmul as golden_matmul

from .._torch import torch
from .quantize import QuantConv2d, im2col, quantized_layers, weight_matrix

__all__ = ["LayerGemm", "layer_gemms"]


@dataclass
class LayerGemm:
    """One quantized layer as an integer GEMM: ``out = scale_a * scale_w * (A @~ W) + bias``.

    ``A`` (M x G*Kg) holds the input activation codes (0..255 for A8W8/SPARQ,
    -128..127 for an ``"A8W8 signed"`` layer) in im2col order, the input channels
    innermost per kernel tap within each group; ``W`` (Kg x N) the weight codes
    (-128..127); ``@~`` is ``golden.sparq.matmul(A_g, W_g, cfg, stc)`` group by
    group (a plain product when ``cfg`` is None).  Conv rows run over (image,
    out-row, out-col), Linear rows over the input's leading axes:
    :meth:`to_layer_layout` folds an (M, N) result back to ``out_shape``.
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
    groups: int = 1
    signed: bool = False
    policy: str = "SPARQ"

    @property
    def k(self) -> int:
        """The reduction of one group (``W``'s first axis)."""
        return int(self.W.shape[0])

    @property
    def n(self) -> int:
        return int(self.W.shape[1])

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(M, K per group, N)``: the ``plan_gemm(m, k, n, groups=...)`` arguments."""
        return int(self.A.shape[0]), self.k, self.n

    def group(self, g: int) -> LayerGemm:
        """Group ``g``'s own GEMM: ``A[:, g Kg:(g+1) Kg]`` against ``W[:, g Ng:(g+1) Ng]``."""
        if not 0 <= g < self.groups:
            raise ValueError(f"group must be 0..{self.groups - 1}, got {g}")
        if self.groups == 1:
            return self
        ng = self.n // self.groups
        cols = slice(g * ng, (g + 1) * ng)
        shape = list(self.out_shape)
        shape[1 if self.kind == "conv" else -1] = ng
        return replace(self, name=f"{self.name}[{g}]",
                       A=self.A[:, g * self.k:(g + 1) * self.k], W=self.W[:, cols],
                       scale_w=self.scale_w[cols],
                       bias=None if self.bias is None else self.bias[cols],
                       output=self.output[:, cols], out_shape=tuple(shape), groups=1)

    def accumulate(self, acc_width: int = 32) -> np.ndarray:
        """Integer accumulators from the golden model, (M, N) int64, group by group."""
        if self.groups > 1:
            return np.concatenate([self.group(g).accumulate(acc_width)
                                   for g in range(self.groups)], axis=1)
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


def _rows(y: torch.Tensor, kind: str) -> torch.Tensor:
    """Layer output to (M, N): conv (n, o, h, w) -> (n * h * w, o); linear (..., o) -> (M, o)."""
    return y.permute(0, 2, 3, 1).reshape(-1, y.shape[1]) if kind == "conv" \
        else y.reshape(-1, y.shape[-1])


def layer_matrices(layer, codes: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """``(A, W)`` of a quantized layer for input ``codes``, as int64 arrays (module docstring)."""
    if isinstance(layer, QuantConv2d):
        a = im2col(codes, layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                   layer.groups)
    else:
        a = codes.reshape(-1, codes.shape[-1])
    w = weight_matrix(layer.w_codes).t()
    return a.round().long().numpy(), w.round().long().contiguous().numpy()


@torch.no_grad()
def layer_gemms(qmodel, images: torch.Tensor, layers=None) -> list[LayerGemm]:
    """The integer GEMM of every quantized layer (or of ``layers``) for ``images``.

    Each layer's input codes and output are copied while the layer runs, so whatever
    the model does afterwards (an in-place ReLU, a residual ``+=``) leaves them alone.
    """
    chosen = [(n, m) for n, m in quantized_layers(qmodel) if layers is None or n in layers]
    if layers is not None and len(chosen) != len(set(layers)):
        raise ValueError(f"layers {sorted(layers)} are not all quantized layers of the model; "
                         f"those are {[n for n, _ in quantized_layers(qmodel)]}")
    captured: dict[str, tuple] = {}

    def hook(mod, inputs, output):
        if mod.name not in captured:         # a layer run twice: its first call
            captured[mod.name] = (mod.codes(inputs[0].detach()), output.detach().clone())

    handles = [m.register_forward_hook(hook) for _, m in chosen]
    try:
        qmodel.eval()
        qmodel(images)
    finally:
        for h in handles:
            h.remove()
    out = []
    for name, m in chosen:
        codes, y = captured[name]
        a, w = layer_matrices(m, codes)
        kind = "conv" if isinstance(m, QuantConv2d) else "linear"
        out.append(LayerGemm(
            name=name, kind=kind, A=a, W=w,
            scale_a=float(m.act_scale), scale_w=m.w_scale.double().numpy(),
            bias=None if m.bias_q is None else m.bias_q.double().numpy(),
            cfg=m.cfg, stc=m.stc, act_bits=m.act_bits, out_shape=tuple(y.shape),
            output=_rows(y, kind).float().contiguous().numpy(), groups=m.groups, signed=m.signed,
            policy=m.policy))
    return out
