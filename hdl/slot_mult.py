"""The two-slot SPARQ multiplier of the paper's equation 4 and figure 2."""

from amaranth import Module, Mux, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS, Config
from hdl.layouts import PairWord
from hdl.multiplier import Multiplier

__all__ = ["WeightPair", "TwoSlotMultiplier", "PRODUCT_BITS"]

#: Two signed 8-bit weights, ``w[2j]`` (element 0) and ``w[2j+1]``.
WeightPair = data.ArrayLayout(signed(ACT_BITS), 2)

#: Width of one shifted slot product: ``|q << s| <= 255`` and ``|w| <= 128``.
PRODUCT_BITS = 2 * ACT_BITS + 1


class TwoSlotMultiplier(wiring.Component):
    """Weight mux, two n-bit x 8-bit multipliers and two shift-left units.

    Computes ``prod_a = (A.data * w_A) << S[A.idx]`` and the same for slot B,
    where ``w_A`` is ``w[0]`` when ``A.mux`` is 0 and ``w[1]`` otherwise (B:
    ``w[1]``, or ``w[0]`` when ``B.mux`` is 1).  The two products are left
    separate so that the consumer can add them together with its partial sum
    (or its adder tree) in one multi-operand adder.  The shift comes after the
    multiplier, where it costs an ``|S|``-way mux of ``n + 8`` bits instead of
    widening the multiplier.  Combinational.

    Parameters
    ----------
    config : golden.sparq.Config

    Members
    -------
    word : In(PairWord(config))
        The packed pair word.
    weights : In(WeightPair)
        ``w[2j]`` and ``w[2j+1]``.
    prod_a, prod_b : Out(signed(17))
        The two shifted slot products.
    """

    def __init__(self, *, config):
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.sparq.Config, got {config!r}")
        self._config = config
        super().__init__({
            "word": In(PairWord(config)),
            "weights": In(WeightPair),
            "prod_a": Out(signed(PRODUCT_BITS)),
            "prod_b": Out(signed(PRODUCT_BITS)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._config
        w0, w1 = self.weights[0], self.weights[1]
        for name, slot, own, partner, out in (("a", self.word.a, w0, w1, self.prod_a),
                                              ("b", self.word.b, w1, w0, self.prod_b)):
            mult = m.submodules[f"mult_{name}"] = Multiplier(a_bits=cfg.bits, b_bits=ACT_BITS)
            m.d.comb += [mult.a.eq(slot.data), mult.b.eq(Mux(slot.mux, partner, own))]
            with m.Switch(slot.idx):
                for i, shift in enumerate(cfg.shifts):
                    with m.Case(i):
                        m.d.comb += out.eq(mult.product << shift)
        return m
