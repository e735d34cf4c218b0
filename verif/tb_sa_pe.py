"""cocotb bench: one SA PE on random and corner tile streams against golden.sparq.

Each tile is a dot product of ``K`` activations and weights.  The driver
writes every cycle: beats with random idle cycles in between (valid low,
garbage data), ``drain_load`` on the cycle after a tile's last beat (as the
array does) and garbage on ``drain_in``.  One monitor records ``drain_out``
after each drain load, another the forwarded outputs; the model is
golden.sparq; the scoreboard compares.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge

from golden.sparq import Config
from hdl.sa.variants import pe_class
from verif.bench import Driver, scoreboard, start_clock_and_reset
from verif.kit import BenchArgs, activations, uint, weights
from verif.sa_ports import act_beats, act_top, weight_beats


@dataclass(frozen=True)
class PEArgs(BenchArgs):
    variant: str
    config: Config | None
    acc_width: int
    seed: int
    act_width: int
    weight_width: int


def corner_tiles(rng, top: int, acc_width: int):
    """``(a (1, K), w (K, 1))``: zeros, all-max, pairs with one zero, -128 weights, wrap."""
    k = 9
    one_zero = rng.integers(1, top, size=(1, 12))
    one_zero[0, 0::4] = 0                           # x[2j] zero in every other pair
    one_zero[0, 3::4] = 0                           # x[2j+1] zero in the others
    # Enough 255 * -128 products to wrap; a 32-bit accumulator would need 65,000.
    wrap_k = 2 ** (acc_width - 14) + 3
    wrap = [(np.full((1, wrap_k), top - 1), np.full((wrap_k, 1), -128)),
            (np.full((1, wrap_k), top - 1), np.full((wrap_k, 1), 127))] if acc_width <= 20 else []
    return [
        (np.zeros((1, k), np.int64), weights(rng, (k, 1))),
        (np.full((1, k), top - 1), np.full((k, 1), 127)),
        (np.full((1, k), top - 1), np.full((k, 1), -128)),
        (one_zero, weights(rng, (12, 1))),
        (activations(rng, (1, k), 0.5, top), np.full((k, 1), -128)),
    ] + wrap


def random_tiles(rng, top: int, count: int):
    return [(activations(rng, (1, k), s, top), weights(rng, (k, 1)))
            for k, s in zip(rng.integers(1, 24, size=count), rng.choice([0.0, 0.5, 0.9], count),
                            strict=True)]


def transactions(args, tiles, rng):
    """One dict per cycle: beats, random idle cycles, ``drain_load`` after each last beat."""
    cls, txs = pe_class(args.variant), []

    def idle():
        return {"in_act": int(rng.integers(1 << args.act_width)),
                "in_weight": int(rng.integers(1 << args.weight_width)),
                "in_ctl": int(rng.integers(8)) & 0b110, "drain_load": 0,
                "drain_in": int(rng.integers(1 << args.acc_width))}

    for a, w in tiles:
        beats = list(zip(act_beats(cls, args.config, a, packed=cls.takes_words),
                         weight_beats(cls, w), strict=True))
        for k, (x, y) in enumerate(beats):
            while rng.random() < 0.2:
                txs.append(idle())
            ctl = 1 | (k == 0) << 1 | (k == len(beats) - 1) << 2
            txs.append(dict(idle(), in_act=x, in_weight=y, in_ctl=ctl))
        txs.append(idle())
        txs[-1]["drain_load"] = 1
    return txs


class DrainMonitor:
    """``drain_out`` on the edge after each ``done``, and every forwarded output."""

    def __init__(self, dut):
        self.dut, self.results, self.forwarded = dut, [], []

    async def run(self, cycles: int) -> None:
        dut, loading = self.dut, False
        for _ in range(cycles):
            await RisingEdge(dut.clk)
            await ReadOnly()
            if loading:
                self.results.append(dut.drain_out.value.to_signed())
            loading = dut.done.value == 1
            try:
                self.forwarded.append((uint(dut.out_act.value), uint(dut.out_weight.value),
                                       uint(dut.out_ctl.value)))
            except ValueError:                      # X before the first driven cycle
                self.forwarded.append(None)


@cocotb.test()
async def pe_streams(dut):
    args = PEArgs.load()
    cls, acc = pe_class(args.variant), args.acc_width
    rng = np.random.default_rng(args.seed)
    top = act_top(cls)
    tiles = corner_tiles(rng, top, acc) + random_tiles(rng, top, 40)
    txs = transactions(args, tiles, rng)

    driver = Driver(dut, idle=lambda: {"in_ctl": 0, "drain_load": 0})
    monitor = DrainMonitor(dut)
    await start_clock_and_reset(dut)
    watch = cocotb.start_soon(monitor.run(len(txs) + 2))
    await driver.run(txs)
    await watch

    expected = [int(cls.reference(a, w, args.config, acc)[0, 0]) for a, w in tiles]
    scoreboard(expected, monitor.results,
               lambda i: f"tile {i}: K={tiles[i][0].shape[1]}, a={tiles[i][0][0, :8]}...")
    # Written after edge c, registered at edge c + 1: the monitor's entry c.
    bad = [c for c, tx in driver.sent
           if monitor.forwarded[c] != (tx["in_act"], tx["in_weight"], tx["in_ctl"])]
    assert not bad, f"forwarded outputs differ from the inputs of cycles {bad[:8]}"
