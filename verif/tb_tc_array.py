"""cocotb bench: a tensor core (TC) or 2:4 sparse tensor core (STC), D = A x B + C.

Random tiles with random K (padded with zeros to whole steps), sparse
activations, random C (and for the STC random 2:4 weights: groups with 0, 1
or 2 non-zero weights); sweeps run back to back with random idle cycles, so
accumulation through ``c`` crosses several K steps and idles.  The model is
the DP variant's golden reference; besides every D and the latency of each,
the bench checks the array's sweep cycle formula against what it measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np

from golden.sparq import Config
from hdl.tc.variants import dp_class
from verif.bench import StreamBench
from verif.kit import BenchArgs, mixed_activations, sparse_2to4, tile_c, uint, unpack, weights
from verif.tc_ports import stc_steps, tc_steps


@dataclass(frozen=True)
class TensorArgs(BenchArgs):
    arch: str               # "tc" or "stc"
    variant: str
    config: Config | None
    rows: int
    cols: int
    acc_width: int
    k_step: int
    latency: int
    ks: tuple               # K of each sweep
    sweep_cycles: tuple     # the array's cycles(K) of each sweep
    seed: int


class TensorBench(StreamBench):
    def __init__(self, args, rng):
        super().__init__(args, rng)
        self.dp = dp_class(args.variant)
        self.stc = args.arch == "stc"

    def items(self):
        a, rng = self.args, self.rng
        make_w = (lambda k: sparse_2to4(rng, k, a.cols)) if self.stc \
            else (lambda k: weights(rng, (k, a.cols)))
        return [(mixed_activations(rng, (a.rows, k)), make_w(k),
                 tile_c(rng, a.rows, a.cols, a.acc_width)) for k in a.ks]

    def beats(self, tile):
        steps = (stc_steps if self.stc else tc_steps)(*tile, self.args.k_step,
                                                      self.args.acc_width)
        return [dict(s, in_valid=1, in_first=int(i == 0), in_last=int(i == len(steps) - 1))
                for i, s in enumerate(steps)]

    def expect(self, tile):
        return [self.dp.reference(*tile, self.args.config, self.args.acc_width,
                                  stc=self.stc).tolist()]

    def sample(self, dut):
        a = self.args
        return np.array(unpack(uint(dut.out_d.value), a.acc_width, a.rows * a.cols)).reshape(
            a.rows, a.cols).tolist()

    def idle(self):
        """Garbage on every data input, random marks, valid low: the array must ignore it."""
        garbage = {name: int(self.rng.integers(1 << min(width, 62)))
                   for name, width in self._widths.items()}
        return dict(garbage, in_valid=0, in_first=int(self.rng.integers(2)),
                    in_last=int(self.rng.integers(2)))

    def describe(self, tile):
        return f"K = {tile[0].shape[1]}"

    async def run(self, dut, extra_cycles=8):
        names = ("in_a", "in_c") + (("in_values", "in_positions") if self.stc else ("in_b",))
        self._widths = {name: len(getattr(dut, name).value) for name in names}
        return await super().run(dut, extra_cycles)


@cocotb.test()
async def random_tiles(dut):
    args = TensorArgs.load()
    items, beat_cycles, got = await TensorBench(args, np.random.default_rng(args.seed)).run(dut)
    # Cycles of each sweep from its first step to out_valid, less the idle cycles inside it.
    measured = tuple(out - cycles[0] - (cycles[-1] - cycles[0] - (len(cycles) - 1))
                     for out, cycles in zip(got, beat_cycles, strict=True))
    assert measured == args.sweep_cycles, \
        f"sweeps took {measured} cycles, the array's cycles(K) says {args.sweep_cycles}"
