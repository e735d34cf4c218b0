"""The networks of the report: torchvision's definitions, random weights, their GEMMs.

The paper evaluates ResNet-18/34/50/101, GoogLeNet, Inception-v3 and DenseNet-121 on
ImageNet; MobileNetV2 (depthwise-separable, inverted residuals) and VGG-16 are added as a
modern edge network and a plain deep one.  Layer shapes need no trained weights, so every
model is built with ``weights=None`` (nothing is downloaded) and a fixed seed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .._torch import torch
from ..quant.shapes import GemmShape, gemm_shapes

__all__ = ["Network", "NETWORKS", "PAPER", "network", "model", "layers"]


@dataclass(frozen=True)
class Network:
    name: str           # torchvision's constructor
    title: str
    size: int           # input side (square, 3 channels)
    paper: bool         # one of the paper's networks

    @property
    def input(self) -> str:
        return f"{self.size}x{self.size}"


NETWORKS = (
    Network("resnet18", "ResNet-18", 224, True),
    Network("resnet34", "ResNet-34", 224, True),
    Network("resnet50", "ResNet-50", 224, True),
    Network("resnet101", "ResNet-101", 224, True),
    Network("googlenet", "GoogLeNet", 224, True),
    Network("inception_v3", "Inception-v3", 299, True),
    Network("densenet121", "DenseNet-121", 224, True),
    Network("mobilenet_v2", "MobileNetV2", 224, False),
    Network("vgg16", "VGG-16", 224, False),
)
PAPER = tuple(n.name for n in NETWORKS if n.paper)
_BY_NAME = {n.name: n for n in NETWORKS}


def network(name: str) -> Network:
    if name not in _BY_NAME:
        raise ValueError(f"network must be one of {', '.join(_BY_NAME)}, got {name!r}")
    return _BY_NAME[name]


def model(name: str, seed: int = 0):
    """The torchvision model, random init with ``torch.manual_seed(seed)``, eval mode."""
    import torchvision.models as tvm
    network(name)
    torch.manual_seed(seed)
    kw = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kw.update(aux_logits=False, init_weights=True)
    return getattr(tvm, name)(**kw).eval()


@functools.lru_cache(maxsize=64)
def layers(name: str, batch: int, seed: int = 0) -> tuple[GemmShape, ...]:
    """Every Conv2d/Linear of the network at ``batch`` images as a GEMM, with its policy.

    The rules of ``quantize_model`` (:func:`workloads.quant.shapes.gemm_shapes`): the first
    layer stays FP32; a layer whose input goes negative on the example (a seeded
    standard-normal batch) runs A8W8 with signed codes; grouped layers are one GEMM per
    group (``groups``, ``k`` per group).
    """
    net = network(name)
    with torch.no_grad():
        return tuple(gemm_shapes(model(name, seed), (batch, 3, net.size, net.size), seed=seed))
