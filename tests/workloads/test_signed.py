"""Layers whose inputs are signed: A8W8 with signed codes by default (per-layer policy says
so), FP32 or an error on request; exact integer accumulators either way."""

import numpy as np
import pytest

from golden.sparq import Config
from workloads._torch import torch
from workloads.quant.gemm import layer_gemms
from workloads.quant.quantize import QuantLinear, calibrate, quantize_model

nn = torch.nn


class Signed(nn.Module):
    """first - GELU (signed) - a - residual add without ReLU - b (signed) - ReLU - c."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(6, 8)
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)
        self.c = nn.Linear(8, 3)

    def forward(self, x):
        h = nn.functional.gelu(self.first(x))
        h = h + self.a(h)
        return self.c(torch.relu(self.b(h)))


def _x(n=64, seed=0):
    return torch.randn(n, 6, generator=torch.Generator().manual_seed(seed))


def test_signed_layers_run_a8w8_signed_by_default():
    torch.manual_seed(0)
    x, model = _x(), Signed()
    q = quantize_model(model, Config.preset(5), [x])
    pol = q.sparq_policy
    assert [pol[n].policy for n in ("first", "a", "b", "c")] == [
        "FP32", "A8W8 signed", "A8W8 signed", "SPARQ"]
    assert "signed inputs" in pol["a"].reason and "first layer" in pol["first"].reason
    assert q.a.signed and q.a.cfg is None and q.c.cfg == Config.preset(5)
    st = calibrate(model, [x])
    # symmetric codes: scale = mean per-image max |x| / 127
    assert q.b.act_scale == pytest.approx(st.mean_absmax["b"] / 127)
    gemms = {g.name: g for g in layer_gemms(q, x[:16])}
    assert gemms["a"].policy == "A8W8 signed" and gemms["c"].policy == "SPARQ"
    a = gemms["a"].A
    assert a.min() < 0 and a.min() >= -128 and a.max() <= 127
    for g in gemms.values():
        ref = g.reference()
        np.testing.assert_allclose(g.output, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    # the codes are those of the formula, the layer's accumulators the integer product
    layer = q.b
    h = nn.functional.gelu(q.first(x[:16]))
    h = h + q.a(h)
    codes = torch.clamp(torch.round(h / layer.act_scale), -128, 127)
    assert torch.equal(layer.codes(h), codes)
    np.testing.assert_array_equal(layer.accumulate(codes).round().long().numpy(),
                                  codes.long().numpy() @ layer.w_codes.t().long().numpy())


def test_signed_inputs_option_raises_or_keeps_fp32():
    x = _x()
    with pytest.raises(ValueError, match="'a'.*go down to"):
        quantize_model(Signed(), Config.preset(5), [x], signed_inputs="raise")
    q = quantize_model(Signed(), Config.preset(5), [x], signed_inputs="fp32")
    assert q.sparq_policy["a"].policy == "FP32" and q.sparq_layers == ["c"]
    assert isinstance(q.a, nn.Linear) and not isinstance(q.a, QuantLinear)
    with pytest.raises(ValueError, match="signed_inputs must be one of a8w8, fp32, raise"):
        quantize_model(Signed(), None, [x], signed_inputs="yes")


def test_uniform_baselines_sign_their_codes_too():
    x = _x()
    q = quantize_model(Signed(), None, [x], act_bits=4)
    assert q.sparq_policy["a"].policy == "uniform A4 signed"
    assert q.sparq_policy["c"].policy == "uniform A4"
    g = {g.name: g for g in layer_gemms(q, x[:8])}
    assert g["a"].A.min() >= -8 and g["a"].A.max() <= 7 and g["c"].A.max() <= 15


def test_unsigned_layer_refuses_negative_input_at_run_time():
    """A layer calibrated on non-negative inputs cannot take negative ones later."""
    q = quantize_model(Signed(), Config.preset(5), [_x()])
    with pytest.raises(ValueError, match="'c'.*negative values"):
        q.c(-torch.ones(2, 8))
