"""Grouped and depthwise convolutions: the torch quantizer, the golden model (group by group)
and the emitted arrays (verif.runner.run_gemm with groups=) agree, bit for bit."""

import numpy as np
import pytest

from golden.sparq import Config, matmul
from workloads._torch import torch
from workloads.quant.gemm import layer_gemms
from workloads.quant.prune import prune_2to4
from workloads.quant.quantize import QuantConv2d, group_im2col, im2col, quantize_model

nn = torch.nn

# (in channels, out channels, groups, kernel, stride): channels per group even, odd and 1
# (depthwise), kernel taps odd (3x3) and even (2x2), a multiple of 4 per group for the STC map
LAYERS = [(8, 12, 2, 3, 1), (6, 9, 3, 3, 2), (10, 10, 10, 3, 1), (12, 24, 12, 3, 2),
          (15, 10, 5, 2, 1), (16, 8, 2, 1, 1), (9, 9, 3, 3, 1)]


def _ids(layer):
    c, o, g, k, s = layer
    return f"C{c}-O{o}-G{g}-k{k}-s{s}"


def _codes(shape, seed, zeros=0.45):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, shape, generator=g).float()
    x[torch.rand(shape, generator=g) < zeros] = 0
    return x


def _golden_grouped(a, w, groups, cfg, stc=False):
    """The reference: each group its own golden.sparq.matmul on its own columns."""
    kg, ng = w.shape[0], w.shape[1] // groups
    return np.concatenate([
        (a[:, g * kg:(g + 1) * kg] @ w[:, g * ng:(g + 1) * ng]) if cfg is None else
        matmul(a[:, g * kg:(g + 1) * kg], w[:, g * ng:(g + 1) * ng], cfg, stc=stc)
        for g in range(groups)], axis=1)


def test_group_im2col_is_each_groups_own_im2col():
    x = _codes((2, 6, 5, 5), 0)
    a = group_im2col(x, 3, 1, 1, 1, groups=3)                      # (M, G, Kg)
    for g in range(3):
        want = im2col(x[:, 2 * g:2 * g + 2], 3, 1, 1, 1)
        assert torch.equal(a[:, g], want)
    assert torch.equal(im2col(x, 3, 1, 1, 1, groups=3), a.reshape(a.shape[0], -1))


@pytest.mark.parametrize("c, o, g, k, s", LAYERS, ids=[_ids(x) for x in LAYERS])
@pytest.mark.parametrize("cfg", [None, Config.preset(5), Config.preset(3, False),
                                 Config.preset(7)], ids=["A8W8", "5opt", "3opt-trim", "7opt"])
def test_grouped_layer_equals_golden_per_group(c, o, g, k, s, cfg):
    torch.manual_seed(c * 31 + g)
    conv = nn.Conv2d(c, o, k, stride=s, padding=k // 2, groups=g)
    layer = QuantConv2d(conv, 10.0, cfg=cfg, name="grouped")
    x = _codes((3, c, 7, 7), seed=c + g)
    acc = layer.accumulate(x)                                       # (N, O, H, W)
    a = im2col(x, layer.kernel_size, layer.stride, layer.padding, 1, g).long().numpy()
    w = layer.w_codes.permute(0, 2, 3, 1).reshape(o, -1).t().long().numpy()
    assert w.shape == (c // g * k * k, o) and a.shape[1] == g * w.shape[0]
    want = _golden_grouped(a, w, g, cfg)
    got = acc.permute(0, 2, 3, 1).reshape(-1, o).round().long().numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("c, g", [(8, 2), (12, 3), (8, 8)], ids=["Cg4", "Cg4-G3", "depthwise"])
@pytest.mark.parametrize("cfg", [Config.preset(5), Config.preset(6, False)], ids=["5opt", "6opt"])
def test_grouped_stc_equals_golden_per_group(c, g, cfg):
    torch.manual_seed(c + g)
    model = nn.Sequential(nn.Conv2d(c, 2 * c, 3, padding=1, groups=g))
    prune_2to4(model, ["0"])
    layer = QuantConv2d(model[0], 10.0, cfg=cfg, stc=True, name="g")
    x = _codes((2, c, 6, 6), seed=g)
    got = layer.accumulate(x).permute(0, 2, 3, 1).reshape(-1, 2 * c).round().long().numpy()
    a = im2col(x, 3, 1, 1, 1, g).long().numpy()
    w = layer.w_codes.permute(0, 2, 3, 1).reshape(2 * c, -1).t().long().numpy()
    np.testing.assert_array_equal(got, _golden_grouped(a, w, g, cfg, stc=True))


class Depthwise(nn.Module):
    """first conv - ReLU - depthwise (odd taps) - ReLU6 (in place) - grouped 1x1 - linear."""

    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(3, 12, 3, padding=1)
        self.dw = nn.Conv2d(12, 12, 3, padding=1, groups=12)
        self.pw = nn.Conv2d(12, 9, 1, groups=3)
        self.act = nn.ReLU6(inplace=True)
        self.fc = nn.Linear(9 * 6 * 6, 4)

    def forward(self, x):
        x = self.act(self.dw(torch.relu(self.first(x))))
        return self.fc(self.act(self.pw(x)).flatten(1))


def test_layer_gemms_of_grouped_layers():
    torch.manual_seed(0)
    x = torch.randn(16, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    q = quantize_model(Depthwise(), Config.preset(5), [x])
    gemms = {g.name: g for g in layer_gemms(q, x[:3])}
    dw, pw = gemms["dw"], gemms["pw"]
    assert (dw.groups, dw.shape) == (12, (3 * 36, 9, 12))
    assert (pw.groups, pw.shape) == (3, (3 * 36, 4, 9))
    for g in gemms.values():
        acc = g.accumulate()
        np.testing.assert_array_equal(acc, _golden_grouped(g.A, g.W, g.groups, g.cfg))
        ref = g.reference()
        np.testing.assert_allclose(g.output, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    one = dw.group(5)
    assert one.shape == (3 * 36, 9, 1) and one.groups == 1
    np.testing.assert_array_equal(one.accumulate(), dw.accumulate()[:, 5:6])
    with pytest.raises(ValueError, match="group must be 0..11"):
        dw.group(12)


@pytest.fixture(scope="module")
def grouped_runner():
    from verif.runner import run_gemm
    from workloads.layers.runs import GROUPS_ON_ARRAYS
    if not GROUPS_ON_ARRAYS:
        pytest.skip("verif.runner.run_gemm takes no groups= in this checkout (the lead's "
                    "grouped runner): nothing to run the grouped GEMMs on")
    return run_gemm


@pytest.mark.parametrize("arch, cfg, rows, cols", [
    ("sa", Config.preset(5), 4, 4),
    pytest.param("tc", Config.preset(3, False), 2, 2, marks=pytest.mark.slow),
    pytest.param("stc", Config.preset(5), 2, 2, marks=pytest.mark.slow)],
    ids=["sa-5opt", "tc-3opt-trim", "stc-5opt"])
def test_run_gemm_runs_grouped_layers_bit_exact(grouped_runner, arch, cfg, rows, cols):
    """A depthwise (K = 9 per group, odd) and a grouped layer of the quantizer, on Icarus."""
    torch.manual_seed(3)
    model = Depthwise()
    x = torch.randn(8, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    stc = arch == "stc"
    if stc:
        prune_2to4(model, ["dw", "pw", "fc"])
    q = quantize_model(model, cfg, [x], stc=stc)
    for g in layer_gemms(q, x[:1], layers=("dw", "pw")):
        a = g.A[:8]                           # 8 rows of M keep the simulation short
        run = grouped_runner(a, g.W, groups=g.groups, arch=arch, config=cfg, rows=rows,
                             cols=cols, simulator="icarus")
        np.testing.assert_array_equal(run.c, _golden_grouped(a, g.W, g.groups, cfg, stc=stc))
        np.testing.assert_array_equal(run.c, g.accumulate()[:8])
