"""cocotb bench: a dot-product unit (TC 8b-8b / 2x4b-8b / SPARQ, or an STC unit) against golden.

One random operand set per valid cycle (sparse activations, extreme weights,
random c; for the SPARQ TC unit, pair words from the golden TRU or with random
fields), random idle cycles with garbage operands in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np

from golden.sparq import Config, compress_2to4, decode, encode, wrap
from hdl.tc.variants import dp_class
from verif.bench import StreamBench
from verif.kit import BenchArgs, mixed_activations, pack, sparse_2to4, weights


@dataclass(frozen=True)
class DPArgs(BenchArgs):
    stc: bool
    variant: str
    config: Config | None
    acc_width: int
    k_step: int
    latency: int
    seed: int
    count: int


def random_words(rng, cfg, count):
    """Pair words with random fields (any data, any shift of S, any mux bits).

    The unit must follow the word, whatever made it: these include words no
    TRU would produce (both mux bits set, a lone value's slots in odd places).
    """
    def slot():
        data = int(rng.integers(1 << cfg.bits))
        idx = int(rng.integers(len(cfg.shifts)))
        return data | idx << cfg.bits | int(rng.integers(2)) << (cfg.bits + cfg.idx_bits)
    return np.array([slot() | slot() << cfg.slot_width for _ in range(count)])


class DPBench(StreamBench):
    def __init__(self, args, rng):
        super().__init__(args, rng)
        self.dp = dp_class(args.variant)

    def items(self):
        """(a, w, c, words): activations (k_step,), dense weights (k_step,), c, and for the
        SPARQ TC unit its pair words (of ``a`` by the golden TRU, or random)."""
        a, rng, out = self.args, self.rng, []
        for _ in range(a.count):
            act = mixed_activations(rng, (a.k_step,), top=1 << self.dp.act_bits)
            w = sparse_2to4(rng, a.k_step, 1)[:, 0] if a.stc else weights(rng, (a.k_step,))
            c = int(rng.integers(-(1 << (a.acc_width - 1)), 1 << (a.acc_width - 1)))
            words = None
            if self.dp.takes_words and not a.stc:
                words = encode(act, a.config) if rng.random() < 0.5 \
                    else random_words(rng, a.config, a.k_step // 2)
            out.append((act, w, c, words))
        return out

    def beats(self, item):
        act, w, c, words = item
        ports = {"in_valid": 1, "in_c": c & ((1 << self.args.acc_width) - 1)}
        if self.args.stc:
            values, positions = compress_2to4(w[:, None])
            return [dict(ports, in_a=pack(act, 8), in_values=pack(values[:, 0], 8),
                         in_positions=pack(positions[:, 0], 2))]
        ports["in_b"] = pack(w, 8)
        if words is not None:
            return [dict(ports, in_words=pack(words, self.args.config.word_width))]
        return [dict(ports, in_a=pack(act, self.dp.act_bits))]

    def expect(self, item):
        act, w, c, words = item
        if words is not None:       # the unit follows the words, whatever made them
            return [int(wrap(int(decode(words, self.args.config) @ w) + c, self.args.acc_width))]
        return [int(self.dp.reference(act[None], w[:, None], [[c]], self.args.config,
                                      self.args.acc_width, stc=self.args.stc)[0, 0])]

    def sample(self, dut):
        return dut.out_d.value.to_signed()

    def idle(self):
        return dict({name: int(self.rng.integers(1 << min(width, 62)))
                     for name, width in self._widths.items()}, in_valid=0)

    def describe(self, item):
        act, w, c, words = item
        return f"a={act.tolist()} w={w.tolist()} c={c} words={words}"

    async def run(self, dut, extra_cycles=8):
        names = [n for n in self.beats(self.items()[0])[0] if n != "in_valid"]
        self._widths = {name: len(getattr(dut, name).value) for name in names}
        return await super().run(dut, extra_cycles)


@cocotb.test()
async def random_operands(dut):
    args = DPArgs.load()
    await DPBench(args, np.random.default_rng(args.seed)).run(dut)
