"""The small Fashion-MNIST CNN used for the accuracy study.

``conv1(1->16) - ReLU - conv2(16->32, stride 2) - ReLU - conv3(32->64, stride 2) - ReLU -
linear(7*7*64 -> 10)``: 3x3 kernels, zero padding 1, 54,730 parameters (214 KiB in FP32).
Every layer after the first takes a ReLU output directly, so its input is sparse
as in the paper's CNNs; conv1 sees the image and is left intact (FP32) by
quantization.  The classifier input is flattened channels-last (``(h, w, c)``,
``c`` innermost) so that, like a convolution's im2col rows, SPARQ pairs adjacent
channels of one position.
"""

from __future__ import annotations

from ._torch import torch

nn = torch.nn

__all__ = ["FmnistCNN", "SPARQ_LAYERS"]

#: Layers that quantization touches (all but the first), in forward order.
SPARQ_LAYERS = ("conv2", "conv3", "fc")


class FmnistCNN(nn.Module):
    def __init__(self, widths=(16, 32, 64), classes: int = 10):
        super().__init__()
        c1, c2, c3 = widths
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(c2, c3, 3, stride=2, padding=1)
        self.fc = nn.Linear(7 * 7 * c3, classes)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.conv1(x))          # 28 x 28
        x = self.relu(self.conv2(x))          # 14 x 14
        x = self.relu(self.conv3(x))          # 7 x 7
        return self.fc(x.permute(0, 2, 3, 1).flatten(1))
