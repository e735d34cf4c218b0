"""Leaf arithmetic components against the golden model, in Amaranth's simulator.

These components contain no ``Instance``, so amaranth.sim sees all their
logic; the emitted Verilog of the units built from them is checked by the
cocotb benches in verif/.
"""

import itertools

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.sparq import PRESETS, Config, bsparq, encode, quantize, wrap
from hdl.adder import AdderTree
from hdl.multiplier import Multiplier
from hdl.slot_mult import TwoSlotMultiplier
from hdl.window import Window


def simulate(dut, check):
    async def bench(ctx):
        await check(ctx)
    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("opts", sorted(PRESETS), ids=lambda o: f"{o}opt")
@pytest.mark.parametrize("rounding", [True, False], ids=["round", "trim"])
@pytest.mark.parametrize("lone", [False, True], ids=["n-bit", "2n-bit"])
def test_window_all_values(opts, rounding, lone):
    cfg = Config.preset(opts, rounding=rounding)
    bits, shifts = (2 * cfg.bits, cfg.lone_shifts) if lone else (cfg.bits, cfg.shifts)
    q, s = bsparq(np.arange(256), bits, shifts, rounding)
    dut = Window(bits=bits, shifts=shifts, rounding=rounding)

    async def check(ctx):
        for x in range(256):
            ctx.set(dut.x, x)
            got = (ctx.get(dut.q), shifts[ctx.get(dut.sel)])
            assert got == (q[x], s[x]), f"x={x}"
    simulate(dut, check)


@pytest.mark.parametrize("opts", sorted(PRESETS), ids=lambda o: f"{o}opt")
def test_two_slot_multiplier_against_golden(opts):
    cfg = Config.preset(opts)
    rng = np.random.default_rng(opts)
    x = rng.integers(0, 256, (400, 2))
    x[rng.random(x.shape) < 0.3] = 0
    x[:4] = [[255, 255], [255, 0], [0, 255], [0, 0]]
    w = rng.integers(-128, 128, (400, 2))
    w[:4] = -128
    words = encode(x, cfg)[:, 0]
    expected = (quantize(x, cfg) * w).sum(axis=1)
    dut = TwoSlotMultiplier(config=cfg)

    async def check(ctx):
        for word, ws, exp in zip(words, w, expected, strict=True):
            ctx.set(dut.word.as_value(), int(word))
            ctx.set(dut.weights, [int(ws[0]), int(ws[1])])
            assert ctx.get(dut.prod_a) + ctx.get(dut.prod_b) == exp
    simulate(dut, check)


@pytest.mark.parametrize("a_bits", [2, 3, 4, 8])
def test_multiplier_corners(a_bits):
    dut = Multiplier(a_bits=a_bits, b_bits=8)
    a_values = [0, 1, (1 << a_bits) - 1]
    b_values = [-128, -1, 0, 1, 127]

    async def check(ctx):
        for a, b in itertools.product(a_values, b_values):
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            assert ctx.get(dut.product) == a * b
    simulate(dut, check)


@pytest.mark.parametrize("widths, out_bits", [([17, 17, 32], 32), ([17] * 8 + [32], 32),
                                               ([17, 17, 16], 16), (12, 12)])
def test_adder_tree_wraps_the_exact_sum(widths, out_bits):
    count = len(widths) if isinstance(widths, list) else 4
    per_operand = widths if isinstance(widths, list) else [widths] * count
    dut = AdderTree(count=count, in_bits=widths, out_bits=out_bits)
    rng = np.random.default_rng(count)
    cases = [[-(1 << (w - 1)) for w in per_operand], [(1 << (w - 1)) - 1 for w in per_operand]]
    cases += [[int(rng.integers(-(1 << (w - 1)), 1 << (w - 1))) for w in per_operand]
              for _ in range(200)]

    async def check(ctx):
        for ops in cases:
            ctx.set(dut.operands, ops)
            assert ctx.get(dut.total) == wrap(sum(ops), out_bits)
    simulate(dut, check)


@pytest.mark.parametrize("kwargs, message", [
    ({"count": 1, "in_bits": 8, "out_bits": 8}, "count"),
    ({"count": 3, "in_bits": [8, 8], "out_bits": 8}, "2 widths for 3 operands"),
    ({"count": 2, "in_bits": 8, "out_bits": 0}, "out_bits"),
])
def test_adder_tree_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdderTree(**kwargs)
