"""The baseline tensor-core dot-product unit: 4 products of 8b x 8b plus ``c``."""

from amaranth import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.adder import AdderTree
from hdl.multiplier import Multiplier
from hdl.tc.params import check_acc_width

__all__ = ["BaselineDotProduct"]


class BaselineDotProduct(wiring.Component):
    """``d = a . b + c`` over 4 activation/weight pairs, after Raihan et al.

    Four 8-bit unsigned x 8-bit signed :class:`~hdl.multiplier.Multiplier` s
    feed one :class:`~hdl.adder.AdderTree` together with ``c``; the sum wraps
    to ``acc_width`` bits (like :func:`golden.sparq.wrap`) and is registered.
    The register only loads on ``in_valid``, so a tensor core can use it as
    its accumulator.  ``latency`` is 1 cycle.

    Parameters
    ----------
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    in_valid : In(1)
        The operands are valid this cycle; ``out_d`` loads their result.
    in_a : In(ArrayLayout(unsigned(8), 4))
        Activation codes.
    in_b : In(ArrayLayout(signed(8), 4))
        Weights.
    in_c : In(signed(acc_width))
        The third operand (partial sum).
    out_valid : Out(1)
        ``out_d`` holds the result of operands presented ``latency`` cycles earlier.
    out_d : Out(signed(acc_width))
        The registered, wrapped sum; held while ``in_valid`` is low.
    """

    #: Dense reduction-axis elements consumed per cycle.
    K_STEP = 4

    def __init__(self, *, acc_width=32):
        self._acc_width = check_acc_width(acc_width)
        super().__init__({
            "in_valid": In(1),
            "in_a": In(data.ArrayLayout(unsigned(ACT_BITS), self.K_STEP)),
            "in_b": In(data.ArrayLayout(signed(ACT_BITS), self.K_STEP)),
            "in_c": In(signed(acc_width)),
            "out_valid": Out(1),
            "out_d": Out(signed(acc_width)),
        })

    @property
    def acc_width(self) -> int:
        return self._acc_width

    @property
    def latency(self) -> int:
        """Cycles from ``in_valid`` to the matching ``out_valid``."""
        return 1

    def elaborate(self, platform):
        m = Module()
        width = 2 * ACT_BITS
        m.submodules.tree = tree = AdderTree(count=self.K_STEP + 1,
                                             in_bits=max(width, self._acc_width),
                                             out_bits=self._acc_width)
        for i in range(self.K_STEP):
            mult = m.submodules[f"mult_{i}"] = Multiplier(a_bits=ACT_BITS, b_bits=ACT_BITS)
            m.d.comb += [mult.a.eq(self.in_a[i]), mult.b.eq(self.in_b[i]),
                         tree.operands[i].eq(mult.product)]
        m.d.comb += tree.operands[self.K_STEP].eq(self.in_c)
        with m.If(self.in_valid):
            m.d.sync += self.out_d.eq(tree.total)
        m.d.sync += self.out_valid.eq(self.in_valid)
        return m
