"""cocotb bench: a systolic array on streams of GEMM tiles against the variant's reference.

The driver feeds aligned beats (the array skews them itself), tiles back to
back, padding a tile shorter than ``rows`` beats with idle cycles as the
protocol requires.  The monitor records result rows with their cycle; the
model is the PE variant's golden reference; the scoreboard compares every
element, then the cycle of every result row against the documented latency
and the cycle count of the whole stream against the array's formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np

from golden.sparq import Config
from hdl.sa.variants import pe_class
from verif.bench import StreamBench
from verif.kit import BenchArgs, activations, uint, unpack, weights
from verif.sa_ports import act_beats, act_top, weight_beats


@dataclass(frozen=True)
class ArrayArgs(BenchArgs):
    variant: str
    config: Config | None
    rows: int
    cols: int
    acc_width: int
    packed: bool
    latency: int
    tiles: tuple          # (K, activation sparsity) per tile
    seed: int
    stream_cycles: int    # the array's formula for this stream


class ArrayBench(StreamBench):
    idle_rate = 0.0       # back to back: the stream's cycle count is exact

    def __init__(self, args, rng):
        super().__init__(args, rng)
        self.pe = pe_class(args.variant)

    def items(self):
        a = self.args
        return [(activations(self.rng, (a.rows, k), sparsity, act_top(self.pe)),
                 weights(self.rng, (k, a.cols))) for k, sparsity in a.tiles]

    def beats(self, tile):
        a, w = tile
        acts = act_beats(self.pe, self.args.config, a, packed=self.args.packed)
        return [{"in_valid": 1, "in_first": int(k == 0), "in_last": int(k == len(acts) - 1),
                 "in_act": x, "in_weight": y}
                for k, (x, y) in enumerate(zip(acts, weight_beats(self.pe, w), strict=True))]

    def padding(self, index, tile):
        return max(0, self.args.rows - len(self.beats(tile))) if index else 0

    def expect(self, tile):
        rows = self.args.rows
        result = self.pe.reference(*tile, self.args.config, self.args.acc_width)
        return [(r, int(r == 0), int(r == rows - 1), [int(v) for v in result[r]])
                for r in range(rows)]

    def offsets(self, tile):
        return [self.args.latency + r for r in range(self.args.rows)]

    def sample(self, dut):
        return (uint(dut.out_index.value), int(dut.out_first.value == 1),
                int(dut.out_last.value == 1),
                unpack(uint(dut.out_row.value), self.args.acc_width, self.args.cols))

    def idle(self):
        return {"in_valid": 0, "in_first": 1, "in_last": 1, "in_act": 0, "in_weight": 0}

    def describe(self, tile):
        return f"K = {tile[0].shape[1]}"


@cocotb.test()
async def gemm_stream(dut):
    args = ArrayArgs.load()
    _, beat_cycles, got = await ArrayBench(args, np.random.default_rng(args.seed)).run(dut)
    total = got[-1] - beat_cycles[0][0] + 1
    assert total == args.stream_cycles, \
        f"the stream took {total} cycles, the array's formula says {args.stream_cycles}"
    dut._log.info(f"{len(args.tiles)} tiles, last row at cycle {got[-1]}")
