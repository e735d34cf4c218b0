"""quantize_model on tiny random models against integer references built on golden.sparq.matmul."""

import numpy as np
import pytest

from golden.sparq import Config, matmul
from workloads._torch import torch
from workloads.quant.gemm import layer_gemms
from workloads.quant.prune import is_2to4, prune_2to4
from workloads.quant.quantize import (
    QuantConv2d,
    QuantLinear,
    calibrate,
    im2col,
    quantize_model,
    quantize_weight,
)

nn = torch.nn


class Tiny(nn.Module):
    """conv (first, intact) - ReLU - conv - ReLU - linear."""

    def __init__(self, c1=8, c2=12, stride=2):
        super().__init__()
        self.first = nn.Conv2d(3, c1, 3, padding=1)
        self.conv = nn.Conv2d(c1, c2, 3, stride=stride, padding=1)
        self.fc = nn.Linear(c2 * 4 * 4, 5)

    def forward(self, x):
        x = torch.relu(self.conv(torch.relu(self.first(x))))
        return self.fc(x.flatten(1))


def _data(seed=0, n=48):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 8, 8, generator=g)


CASES = [  # (c1, stc, cfg)
    (8, False, None), (8, False, Config.preset(5)), (8, False, Config.preset(2, False)),
    (8, False, Config.preset(7)), (7, False, Config.preset(3)),          # odd C: im2col path
    (8, True, Config.preset(5)), (8, True, Config.preset(6, False)),
    (6, True, Config.preset(4)),                                         # C % 4 != 0
]


def _case_id(case):
    c1, stc, cfg = case
    return f"C{c1}-{'stc' if stc else 'dense'}-{cfg.name if cfg else 'A8W8'}"


@pytest.mark.parametrize("c1, stc, cfg", CASES, ids=[_case_id(c) for c in CASES])
def test_layers_equal_integer_reference(c1, stc, cfg):
    torch.manual_seed(c1)
    model = Tiny(c1=c1)
    if stc:
        prune_2to4(model, ["conv", "fc"])
    x = _data()
    q = quantize_model(model, cfg, [x[:24], x[24:]], stc=stc)
    assert q.sparq_layers == ["conv", "fc"] and q.sparq_intact == ["first"]
    assert isinstance(q.conv, QuantConv2d) and isinstance(q.fc, QuantLinear)
    assert isinstance(q.first, nn.Conv2d) and not isinstance(q.first, QuantConv2d)
    inputs = {}
    hooks = [getattr(q, n).register_forward_pre_hook(
        lambda m, i: inputs.__setitem__(m.name, i[0])) for n in ("conv", "fc")]
    gemms = layer_gemms(q, x[:6])
    for h in hooks:
        h.remove()
    assert [g.name for g in gemms] == ["conv", "fc"]
    for g in gemms:
        assert g.A.min() >= 0 and g.A.max() <= 255 and g.W.min() >= -128 and g.W.max() <= 127
        assert g.W.shape == (g.A.shape[1], g.scale_w.shape[0])
        acc_golden = (g.A @ g.W) if cfg is None else matmul(g.A, g.W, cfg, stc=stc)
        np.testing.assert_array_equal(g.accumulate(), acc_golden)
        # the layer's own accumulators (its fast path) are the golden product, exactly
        layer = getattr(q, g.name)
        acc = layer.accumulate(layer.codes(inputs[g.name]))
        rows = acc.permute(0, 2, 3, 1).reshape(-1, acc.shape[1]) if acc.dim() == 4 else acc
        np.testing.assert_array_equal(rows.round().long().numpy(), acc_golden)
        # and the model's output of the layer is scale_a * scale_w * acc + bias
        ref = g.reference()
        np.testing.assert_allclose(g.output, ref, rtol=2e-6, atol=2e-6 * np.abs(ref).max())
        np.testing.assert_allclose(g.to_layer_layout(g.output), g.to_layer_layout(ref),
                                   rtol=2e-6, atol=2e-6 * np.abs(ref).max())
        assert g.to_layer_layout(g.output).shape == g.out_shape


def test_conv_accumulators_exact_on_input_codes():
    """The convolution shortcut (pairs on the activation map) equals golden on im2col."""
    torch.manual_seed(3)
    for c, stc, cfg in [(16, False, Config.preset(5)), (16, True, Config.preset(3, False)),
                        (5, False, Config.preset(7))]:
        conv = nn.Conv2d(c, 10, 3, stride=2, padding=1)
        if stc:
            prune_2to4(nn.ModuleDict({"c": conv}), ["c"])
        layer = QuantConv2d(conv, 10.0, cfg=cfg, stc=stc, name="c")
        g = torch.Generator().manual_seed(c)
        codes = torch.randint(0, 256, (3, c, 9, 9), generator=g).float()
        codes[torch.rand(codes.shape, generator=g) < 0.5] = 0
        acc = layer.accumulate(codes)                                # (3, 10, 5, 5)
        a = im2col(codes, 3, 2, 1).long().numpy()
        w = layer.w_codes.permute(0, 2, 3, 1).reshape(10, -1).t().long().numpy()
        want = matmul(a, w, cfg, stc=stc)
        got = acc.permute(0, 2, 3, 1).reshape(-1, 10).round().long().numpy()
        np.testing.assert_array_equal(got, want)
        assert float((acc - acc.round()).abs().max()) == 0.0


def test_weight_quantizer_is_the_authors_formula():
    w = torch.tensor([[0.5, -1.0, 0.25], [0.0, 0.0, 0.0], [2.0, 1.0, -0.01]])
    codes, scale = quantize_weight(w)
    np.testing.assert_allclose(scale.numpy(), [2 / 255, 1.0, 4 / 255])
    # max |w| / scale = 127.5 rounds (half to even) to 128 and clips to 127
    # -1.0 / (2 / 255) = -127.5 rounds to -128 (in range)
    assert codes.numpy().tolist() == [[64.0, -128.0, 32.0], [0.0, 0.0, 0.0],
                                        [127.0, 64.0, -1.0]]


def test_uniform_baselines_use_fewer_levels():
    torch.manual_seed(0)
    model = Tiny()
    x = _data()
    for bits in (4, 3, 2):
        q = quantize_model(model, None, [x], act_bits=bits)
        for g in layer_gemms(q, x[:4]):
            assert g.A.max() <= 2 ** bits - 1
            np.testing.assert_allclose(g.output, g.reference(), rtol=2e-6,
                                       atol=2e-6 * np.abs(g.reference()).max())


def test_calibration_range_is_mean_of_per_image_max():
    torch.manual_seed(0)
    model = Tiny()
    x = _data()
    st = calibrate(model, [x[:10], (x[10:30], None)], images=25)
    assert st.images == 25 and st.order == ["first", "conv", "fc"]
    with torch.no_grad():
        h = torch.relu(model.first(x[:25]))
    assert st.mean_max["conv"] == pytest.approx(float(h.flatten(1).max(1).values.mean()), rel=1e-6)
    assert st.max["conv"] == pytest.approx(float(h.max()), rel=1e-6)


def test_negative_inputs_and_non_2to4_weights_are_refused():
    torch.manual_seed(0)

    class Signed(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 2)

        def forward(self, x):
            return self.b(self.a(x))                # no ReLU: b sees negative inputs

    with pytest.raises(ValueError, match="non-negative"):
        quantize_model(Signed(), None, [torch.randn(8, 4)], signed_inputs="raise")
    q = quantize_model(Signed(), None, [torch.randn(8, 4)], skip=["b"])
    assert q.sparq_layers == []
    with pytest.raises(ValueError, match="2:4"):
        quantize_model(Tiny(), Config.preset(5), [_data()], stc=True)


def test_batchnorm_is_recalibrated_on_the_quantized_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4),
                          nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)).eval()
    x = _data()
    q = quantize_model(model, Config.preset(2, False), [x])
    with torch.no_grad():
        pre = q[2](torch.relu(q[0](x)))
    np.testing.assert_allclose(q[3].running_mean.numpy(), pre.mean((0, 2, 3)).numpy(),
                               rtol=1e-4, atol=1e-5)
    assert not q[3].training and float(model[3].running_mean.abs().sum()) == 0.0


def test_pruning_keeps_two_largest_per_group_along_k():
    torch.manual_seed(0)
    model = Tiny(c1=8)
    before = model.conv.weight.detach().clone()
    masks = prune_2to4(model, ["conv", "fc"])
    assert is_2to4(model.conv.weight) and is_2to4(model.fc.weight)
    # a group is 4 adjacent input channels at one tap
    k = before.permute(0, 2, 3, 1).reshape(12, -1, 4).abs()
    kept = masks["conv"].permute(0, 2, 3, 1).reshape(12, -1, 4)
    top2 = k.topk(2, dim=-1).values.min(-1).values
    assert bool((k[kept].reshape(12, -1, 2).min(-1).values >= top2 - 1e-12).all())
