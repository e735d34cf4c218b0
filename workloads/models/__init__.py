"""The networks of the accuracy study, their training and committed weights, and torchvision's
model zoo.

* :mod:`.fmnist`: the three Fashion-MNIST networks (a plain CNN, a ResNet-style and a
  MobileNet-style one);
* :mod:`.train`: deterministic training and 2:4 pruning (``python -m workloads.train``),
  :func:`load` of the committed weights (``workloads/weights/``);
* :mod:`.zoo`: torchvision's classification CNNs with random weights.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelSpec", "MODELS", "model_names", "spec"]


@dataclass(frozen=True)
class ModelSpec:
    """A trained network of the study: its class, weight files and training length."""

    name: str                   # "cnn", "resnet", "mobilenet"
    cls: str                    # class name in workloads.models.fmnist
    title: str                  # for reports
    dense_file: str
    pruned_file: str
    epochs: int                 # dense training epochs
    prune_epochs: int           # 2:4 fine-tune epochs

    def build(self):
        from . import fmnist
        return getattr(fmnist, self.cls)()


MODELS = {
    "cnn": ModelSpec("cnn", "FmnistCNN", "plain CNN (4 layers)", "fmnist_cnn.pt",
                     "fmnist_cnn_2to4.pt", 3, 1),
    "resnet": ModelSpec("resnet", "FmnistResNet", "ResNet-style (BatchNorm, residual adds)",
                        "fmnist_resnet.pt", "fmnist_resnet_2to4.pt", 3, 1),
    "mobilenet": ModelSpec("mobilenet", "FmnistMobileNet",
                           "MobileNet-style (depthwise, inverted residuals, ReLU6)",
                           "fmnist_mobilenet.pt", "fmnist_mobilenet_2to4.pt", 2, 1),
}


def model_names() -> tuple[str, ...]:
    return tuple(MODELS)


def spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {name!r}")
    return MODELS[name]
