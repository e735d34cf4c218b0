"""torchvision's classification CNNs (random init, 64x64 inputs) through the documented API:
the default quantize_model call succeeds, layers get SPARQ where their inputs allow it, and
layer_gemms holds every quantized layer's own output (in-place ops after it included)."""

import numpy as np
import pytest

from tests.workloads.requirements import TORCHVISION_ERROR

if TORCHVISION_ERROR is not None:                               # pragma: no cover
    pytest.fail(TORCHVISION_ERROR, pytrace=False)

from golden.sparq import Config
from workloads import gemm_shapes, layer_gemms, quantize_model
from workloads._torch import torch
from workloads.models.zoo import INPUT_SHAPE, ISSUE_TWELVE, ZOO, build

#: Fast enough for the default suite (a few seconds each): plain, in-place ReLU, grouped,
#: depthwise with signed (linear bottleneck) layers, SiLU everywhere.
FAST = ("resnet18", "squeezenet1_0", "shufflenet_v2_x1_0", "mobilenet_v3_small",
        "regnet_y_400mf")
#: Networks whose every layer after the first sees signed inputs (SiLU / GELU, LayerNorm):
#: nothing for SPARQ, every quantized layer A8W8 signed.
ALL_SIGNED = ("efficientnet_b0", "efficientnet_v2_s", "convnext_tiny")


def _check(name):
    model = build(name)
    gen = torch.Generator().manual_seed(1)
    calib = [torch.randn(4, *INPUT_SHAPE, generator=gen)]
    q = quantize_model(model, Config.preset(5), calib)
    policy = q.sparq_policy
    counts = {}
    for p in policy.values():
        counts[p.policy] = counts.get(p.policy, 0) + 1
    assert list(policy.values())[0].policy == "FP32"
    assert set(counts) <= {"FP32", "SPARQ", "A8W8 signed"}, counts
    if name in ALL_SIGNED:
        assert counts.get("SPARQ", 0) == 0 and counts["A8W8 signed"] == len(policy) - 1
    else:
        assert counts.get("SPARQ", 0) >= 1
    gemms = layer_gemms(q, torch.randn(1, *INPUT_SHAPE, generator=gen))
    assert [g.name for g in gemms] == q.sparq_layers
    for g in gemms:
        ref = g.reference()
        np.testing.assert_allclose(g.output, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max(),
                                   err_msg=f"{name} {g.name} ({g.policy}, groups={g.groups})")
    # the shape listing applies the same rules
    shapes = {s.name: s for s in gemm_shapes(model, calib[0])}
    assert {n: s.policy for n, s in shapes.items()} == {n: p.policy for n, p in policy.items()}
    for g in gemms:
        assert (shapes[g.name].m, shapes[g.name].k, shapes[g.name].n,
                shapes[g.name].groups) == (g.A.shape[0] * 4, *g.shape[1:], g.groups)
    return counts


@pytest.mark.parametrize("name", FAST)
def test_zoo_fast(name):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ZOO if n not in FAST])
def test_zoo_all(name):
    _check(name)


def test_zoo_lists_the_issue_models():
    assert len(ISSUE_TWELVE) == 12 and set(ISSUE_TWELVE) <= set(ZOO)
    with pytest.raises(ValueError, match="model must be one of"):
        build("inception_v3")
