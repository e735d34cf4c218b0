"""cocotb bench: the trim-and-round unit against golden.sparq.encode, exhaustively.

Every one of the 65,536 activation pairs goes through once, in a seeded random
order, with random idle cycles (valid low, garbage data) in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np

from golden.sparq import Config, decode, encode
from verif.bench import StreamBench
from verif.kit import BenchArgs


@dataclass(frozen=True)
class TruArgs(BenchArgs):
    config: Config
    latency: int
    seed: int


class TruBench(StreamBench):
    idle_rate = 0.1

    def __init__(self, args, rng):
        super().__init__(args, rng)
        codes = rng.permutation(1 << 16)
        self._pairs = [(int(c) & 0xFF, int(c) >> 8) for c in codes]
        # The model for all pairs at once: one vectorized call instead of 65,536.
        words = encode(np.array(self._pairs), args.config)[:, 0]
        self._words = dict(zip(self._pairs, (int(w) for w in words), strict=True))

    def items(self):
        return self._pairs

    def beats(self, pair):
        return [{"in_valid": 1, "in_pair": pair[0] | pair[1] << 8}]

    def expect(self, pair):
        return [self._words[pair]]

    def sample(self, dut):
        return dut.out_word.value.to_unsigned()

    def idle(self):
        return {"in_valid": 0, "in_pair": int(self.rng.integers(1 << 16))}

    def describe(self, pair):
        golden = decode(np.array(self.expect(pair)), self.args.config)
        return f"pair {pair} -> golden {tuple(int(x) for x in golden)}"


@cocotb.test()
async def exhaustive_pairs(dut):
    args = TruArgs.load()
    await TruBench(args, np.random.default_rng(args.seed)).run(dut)
