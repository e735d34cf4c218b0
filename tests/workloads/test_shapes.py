"""gemm_shapes: every Conv2d/Linear as a GEMM shape with the quantize_model policy."""

import pytest

from golden.sparq import Config
from workloads import gemm_shapes, quantize_model
from workloads._torch import torch

nn = torch.nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 16, 1)                 # after the linear dw: signed input
        self.fc = nn.Linear(16 * 4 * 4, 5)

    def forward(self, x):
        x = self.dw(torch.relu(self.first(x)))
        return self.fc(torch.relu(self.pw(x)).flatten(1))


def test_shapes_and_policies_of_a_small_net():
    torch.manual_seed(0)
    shapes = gemm_shapes(Net(), (2, 3, 8, 8))
    got = [(s.name, s.kind, s.m, s.k, s.n, s.groups, s.policy) for s in shapes]
    assert got == [
        ("first", "conv", 2 * 64, 27, 8, 1, "FP32"),
        ("dw", "conv", 2 * 16, 9, 8, 8, "SPARQ"),
        ("pw", "conv", 2 * 16, 8, 16, 1, "A8W8 signed"),
        ("fc", "linear", 2, 256, 5, 1, "SPARQ"),
    ]
    assert shapes[1].macs == 2 * 16 * 9 * 8 and shapes[1].kernel == (3, 3)
    assert shapes[1].stride == (2, 2) and shapes[3].as_dict()["macs"] == 2 * 256 * 5
    assert "first layer" in shapes[0].reason and "signed" in shapes[2].reason


def test_same_rules_as_quantize_model():
    torch.manual_seed(1)
    model, x = Net(), torch.randn(4, 3, 8, 8)
    for opts in ({}, {"skip": ["dw"]}, {"quantize_linear": False}, {"signed_inputs": "fp32"},
                 {"skip_first": False}):
        q = quantize_model(model, Config.preset(5), [x], **opts)
        listed = {s.name: s.policy for s in gemm_shapes(model, x, **opts)}
        assert listed == {n: p.policy for n, p in q.sparq_policy.items()}, opts
    assert [s.policy for s in gemm_shapes(model, x, cfg=None)][1] == "A8W8"
    with pytest.raises(ValueError, match="'pw'"):
        gemm_shapes(model, x, signed_inputs="raise")
    with pytest.raises(ValueError, match="example must be a tensor or a shape"):
        gemm_shapes(model, (0, 3, 8, 8))
