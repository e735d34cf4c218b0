"""The three Fashion-MNIST networks of the accuracy study (28 x 28 grey images, 10 classes).

* :class:`FmnistCNN` (``"cnn"``): ``conv1(1->16) - ReLU - conv2(16->32, stride 2) - ReLU -
  conv3(32->64, stride 2) - ReLU - linear(7*7*64 -> 10)``; 3x3 kernels, zero padding 1.
  Every layer after the first takes a ReLU output directly.  The classifier input is
  flattened channels-last (``(h, w, c)``, ``c`` innermost) so that, like a convolution's
  im2col rows, SPARQ pairs adjacent channels of one position.
* :class:`FmnistResNet` (``"resnet"``): the paper's ResNets in miniature: a 3x3 stem, three
  basic blocks (two 3x3 convolutions, BatchNorm after each, a residual add, ReLU after the
  add; 1x1 projection shortcuts where the shape changes), global average pooling, a linear
  classifier.  Convolutions without bias, as torchvision's.
* :class:`FmnistMobileNet` (``"mobilenet"``): MobileNetV2 in miniature: a 3x3 stride-2 stem and
  four
  inverted-residual blocks (1x1 expansion - ReLU6 - 3x3 depthwise - ReLU6 - 1x1 linear
  projection, BatchNorm after each, a residual add where the shape allows and no activation
  after it), a 1x1 head, global average pooling, a linear classifier.  The expansions and the
  head see the blocks' linear outputs, which are signed: they run A8W8 with signed codes
  (docs/workloads.md), the depthwise and projection layers get SPARQ.

ReLUs are in place (``inplace=True``) as in torchvision's models.
"""

from __future__ import annotations

from .._torch import torch

nn = torch.nn

__all__ = ["FmnistCNN", "FmnistResNet", "FmnistMobileNet", "BasicBlock", "InvertedResidual"]


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


def _conv_bn(cin, cout, k, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout)]


class BasicBlock(nn.Module):
    """conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus the shortcut, then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(cin, cout, 3, stride)
        self.conv2, self.bn2 = _conv_bn(cout, cout, 3)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = (nn.Sequential(*_conv_bn(cin, cout, 1, stride))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return self.relu(out)


class FmnistResNet(nn.Module):
    def __init__(self, widths=(16, 24, 48), classes: int = 10):
        super().__init__()
        c0, c1, c2 = widths
        self.stem = nn.Sequential(*_conv_bn(1, c0, 3), nn.ReLU(inplace=True))   # 28 x 28
        self.layer1 = BasicBlock(c0, c1, stride=2)                               # 14 x 14
        self.layer2 = BasicBlock(c1, c1)                                         # 14 x 14
        self.layer3 = BasicBlock(c1, c2, stride=2)                               # 7 x 7
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c2, classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(self.pool(x).flatten(1))


class InvertedResidual(nn.Module):
    """1x1 expand - BN - ReLU6 - 3x3 depthwise(stride) - BN - ReLU6 - 1x1 project - BN (+ x)."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        self.expand = nn.Sequential(*_conv_bn(cin, hidden, 1), nn.ReLU6(inplace=True))
        self.depthwise = nn.Sequential(*_conv_bn(hidden, hidden, 3, stride, groups=hidden),
                                       nn.ReLU6(inplace=True))
        self.project = nn.Sequential(*_conv_bn(hidden, cout, 1))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        out = self.project(self.depthwise(self.expand(x)))
        return x + out if self.residual else out


class FmnistMobileNet(nn.Module):
    def __init__(self, classes: int = 10, expand: int = 4):
        super().__init__()
        # stride-2 stem: depthwise layers are slow to train on a CPU, 14 x 14 keeps it minutes
        self.stem = nn.Sequential(*_conv_bn(1, 16, 3, 2), nn.ReLU6(inplace=True))  # 14 x 14
        self.blocks = nn.Sequential(
            InvertedResidual(16, 24, 1, expand),
            InvertedResidual(24, 24, 1, expand),
            InvertedResidual(24, 40, 2, expand),                                  # 7 x 7
            InvertedResidual(40, 40, 1, expand),
        )
        self.head = nn.Sequential(*_conv_bn(40, 128, 1), nn.ReLU6(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(self.pool(x).flatten(1))
