"""The SPARQ tensor-core dot-product unit: 4 two-slot multipliers plus ``c``."""

from amaranth import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.adder import AdderTree
from hdl.layouts import PairWord
from hdl.slot_mult import PRODUCT_BITS, TwoSlotMultiplier
from hdl.tc.params import check_acc_width, check_config

__all__ = ["SparqDotProduct"]


class SparqDotProduct(wiring.Component):
    """``d = decode(words) . b + c`` over 8 activations (4 pair words) and 8 weights.

    SPARQ.md section 7: each multiplier of the baseline becomes a
    :class:`~hdl.slot_mult.TwoSlotMultiplier` (weight muxes, two n-bit x 8-bit
    :class:`~hdl.multiplier.Multiplier` s, two shifters).  Its 8 shifted slot
    products and ``c`` go through one :class:`~hdl.adder.AdderTree`; the sum
    wraps to ``acc_width`` bits and is registered on ``in_valid``.  The words
    come from trim-and-round units outside the unit.  ``latency`` is 1 cycle.

    Parameters
    ----------
    config : golden.sparq.Config
        Slot width and shift set of the pair words (rounding only matters to
        the trim-and-round units that make them).
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    in_valid : In(1)
        The operands are valid this cycle; ``out_d`` loads their result.
    in_words : In(ArrayLayout(PairWord(config), 4))
        Word ``j`` carries activations ``2j`` and ``2j+1``.
    in_b : In(ArrayLayout(signed(8), 8))
        Weights; ``in_b[2j]`` and ``in_b[2j+1]`` go with word ``j``.
    in_c : In(signed(acc_width))
        The third operand (partial sum).
    out_valid : Out(1)
        ``out_d`` holds the result of operands presented ``latency`` cycles earlier.
    out_d : Out(signed(acc_width))
        The registered, wrapped sum; held while ``in_valid`` is low.
    """

    #: Dense reduction-axis elements consumed per cycle (two per pair word).
    K_STEP = 8

    def __init__(self, *, config, acc_width=32):
        self._config = check_config(config)
        self._acc_width = check_acc_width(acc_width)
        super().__init__({
            "in_valid": In(1),
            "in_words": In(data.ArrayLayout(PairWord(config), self.K_STEP // 2)),
            "in_b": In(data.ArrayLayout(signed(ACT_BITS), self.K_STEP)),
            "in_c": In(signed(acc_width)),
            "out_valid": Out(1),
            "out_d": Out(signed(acc_width)),
        })

    @property
    def config(self):
        return self._config

    @property
    def acc_width(self) -> int:
        return self._acc_width

    @property
    def latency(self) -> int:
        """Cycles from ``in_valid`` to the matching ``out_valid``."""
        return 1

    def elaborate(self, platform):
        m = Module()
        pairs = self.K_STEP // 2
        m.submodules.tree = tree = AdderTree(count=self.K_STEP + 1,
                                             in_bits=max(PRODUCT_BITS, self._acc_width),
                                             out_bits=self._acc_width)
        for j in range(pairs):
            mult = m.submodules[f"mult_{j}"] = TwoSlotMultiplier(config=self._config)
            m.d.comb += [mult.word.eq(self.in_words[j]),
                         mult.weights[0].eq(self.in_b[2 * j]),
                         mult.weights[1].eq(self.in_b[2 * j + 1]),
                         tree.operands[2 * j].eq(mult.prod_a),
                         tree.operands[2 * j + 1].eq(mult.prod_b)]
        m.d.comb += tree.operands[self.K_STEP].eq(self.in_c)
        with m.If(self.in_valid):
            m.d.sync += self.out_d.eq(tree.total)
        m.d.sync += self.out_valid.eq(self.in_valid)
        return m
