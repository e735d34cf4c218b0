"""Every Conv2d/Linear of any model as a GEMM shape, with its quantization policy.

:func:`gemm_shapes` needs only the model and an example input: it runs the
example through :func:`~workloads.quant.quantize.calibrate` and applies the very
rules of :func:`~workloads.quant.quantize.quantize_model`
(:func:`~workloads.quant.quantize.layer_policies`: the first layer FP32, ``skip``,
``quantize_linear``, signed inputs as seen on the example), so the policy it lists
is the one ``quantize_model`` would give with the same options and that input as
its calibration set.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from golden.sparq import Config

from .._torch import torch
from .quantize import calibrate, layer_policies

nn = torch.nn

__all__ = ["GemmShape", "gemm_shapes", "DEFAULT_CFG"]

#: The configuration whose name the unsigned layers' policy carries by default.
DEFAULT_CFG = Config.preset(5)


@dataclass(frozen=True)
class GemmShape:
    """One Conv2d/Linear as a GEMM: ``m`` rows, ``k`` per group, ``n`` columns, ``groups``.

    ``plan_gemm(m, k, n, groups=groups)`` (verif.runner) maps it onto an array; ``macs``
    is ``m * k * n`` (each output column reduces over its own group's ``k``).
    """

    name: str
    kind: str                   # "conv" or "linear"
    m: int
    k: int                      # reduction of one group: C/G * KH * KW (conv), in_features
    n: int
    groups: int
    policy: str                 # "SPARQ", "A8W8 signed", "FP32", ...
    reason: str
    input_shape: tuple          # one sample's input to the layer
    output_shape: tuple
    kernel: tuple | None = None         # (KH, KW) for a convolution
    stride: tuple | None = None

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n

    def as_dict(self) -> dict:
        return {**asdict(self), "macs": self.macs}


def _example(example, seed: int):
    if isinstance(example, torch.Tensor):
        return example
    shape = tuple(int(s) for s in example)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"example must be a tensor or a shape of positive sizes "
                         f"(batch first), got {example!r}")
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def gemm_shapes(model, example, cfg: Config | None = DEFAULT_CFG, *, act_bits: int = 8,
                skip_first: bool = True, skip=(), quantize_linear: bool = True,
                signed_inputs: str = "a8w8", seed: int = 0) -> list[GemmShape]:
    """Every Conv2d and Linear the forward pass of ``model`` runs, as a :class:`GemmShape`.

    ``example`` is an input tensor, or a shape (batch first, e.g. ``(1, 3, 64, 64)``)
    for a seeded standard-normal input.  ``m`` counts the example's batch.  The
    options are :func:`~workloads.quant.quantize.quantize_model`'s; ``cfg`` only names
    the policy of unsigned layers (``"SPARQ"``, or ``"A8W8"`` with ``cfg=None``).
    The model is left untouched (in eval mode for the one forward pass).
    """
    x = _example(example, seed)
    stats = calibrate(model, [x], images=None)
    policies = layer_policies(model, stats, cfg, act_bits=act_bits, skip_first=skip_first,
                              skip=skip, quantize_linear=quantize_linear,
                              signed_inputs=signed_inputs)
    mods = dict(model.named_modules())
    batch = int(x.shape[0])
    out = []
    for name, pol in policies.items():
        mod, ins, outs = mods[name], stats.input_shape[name], stats.output_shape[name]
        if pol.kind == "conv":
            kh, kw = mod.kernel_size
            k = mod.in_channels // mod.groups * kh * kw
            m = batch * math.prod(outs[1:])
            extra = {"kernel": (kh, kw), "stride": tuple(mod.stride)}
            groups = mod.groups
        else:
            k, m, groups, extra = mod.in_features, batch * math.prod(ins[:-1]), 1, {}
        out.append(GemmShape(name=name, kind=pol.kind, m=int(m), k=int(k),
                             n=int(mod.out_features if pol.kind == "linear"
                                   else mod.out_channels),
                             groups=int(groups), policy=pol.policy, reason=pol.reason,
                             input_shape=tuple(ins), output_shape=tuple(outs), **extra))
    return out
