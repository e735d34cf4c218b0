"""The SPARQ tensor-core dot-product unit: 4 two-slot multipliers plus ``c``."""

from amaranth.lib import data
from amaranth.lib.wiring import In

from hdl.checks import check_config
from hdl.layouts import PairWord
from hdl.slot_mult import TwoSlotMultiplier
from hdl.tc.dp_base import DotProductUnit

__all__ = ["SparqDotProduct"]


class SparqDotProduct(DotProductUnit):
    """``d = decode(words) . b + c`` over 8 activations (4 pair words) and 8 weights.

    SPARQ.md section 7: each multiplier of the baseline becomes a
    :class:`~hdl.slot_mult.TwoSlotMultiplier` (weight muxes, two n-bit x 8-bit
    :class:`~hdl.multiplier.Multiplier` s, two shifters).  Its 8 shifted slot
    products and ``c`` go through one :class:`~hdl.adder.AdderTree`.  The
    words come from trim-and-round units outside the unit.

    Parameters
    ----------
    config : golden.sparq.Config
        Slot width and shift set of the pair words (rounding only matters to
        the trim-and-round units that make them).
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    in_words : In(ArrayLayout(PairWord(config), 4))
        4 packed pair words (:func:`golden.sparq.encode`), word ``j`` in bits
        ``[j*word_width +: word_width]`` (16 bits each for 5opt): it carries
        activations ``2j`` and ``2j+1``, whose weights are ``in_b[2j]`` and
        ``in_b[2j+1]``.
    (the rest as in :class:`~hdl.tc.dp_base.DotProductUnit`)
    """

    name, title, k_step, takes_words, config_rule = "sparq", "SPARQ", 8, True, "required"

    def __init__(self, *, config, acc_width=32):
        self._config = check_config(config)
        super().__init__(
            activations={"in_words": In(data.ArrayLayout(PairWord(config), self.k_step // 2))},
            acc_width=acc_width)

    def products(self, m):
        out = []
        for j in range(self.k_step // 2):
            mult = m.submodules[f"mult_{j}"] = TwoSlotMultiplier(config=self._config)
            m.d.comb += [mult.word.eq(self.in_words[j]),
                         mult.weights[0].eq(self.in_b[2 * j]),
                         mult.weights[1].eq(self.in_b[2 * j + 1])]
            out += [mult.prod_a, mult.prod_b]
        return out
