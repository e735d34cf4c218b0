"""The ideal 4-bit reference dot-product unit: 8 products of 4b x 8b plus ``c``."""

from amaranth import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.adder import AdderTree
from hdl.multiplier import Multiplier
from hdl.tc.params import check_acc_width

__all__ = ["Reference4bDotProduct"]

#: Width of a reference activation.
REF_ACT_BITS = 4


class Reference4bDotProduct(wiring.Component):
    """``d = a . b + c`` over 8 pairs of 4-bit activations and 8-bit weights.

    The paper's "2x4b-8b" reference: each 8b-8b multiplier of the baseline
    becomes two independent 4b x 8b :class:`~hdl.multiplier.Multiplier` s
    (with no windows, shifts or muxes), and all 8 products plus ``c`` go
    through one :class:`~hdl.adder.AdderTree`.  Same output rule as the other
    variants: wrapped to ``acc_width`` bits, registered on ``in_valid``.
    ``latency`` is 1 cycle.

    Parameters
    ----------
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    in_valid : In(1)
        The operands are valid this cycle; ``out_d`` loads their result.
    in_a : In(ArrayLayout(unsigned(4), 8))
        4-bit activation codes.
    in_b : In(ArrayLayout(signed(8), 8))
        Weights.
    in_c : In(signed(acc_width))
        The third operand (partial sum).
    out_valid : Out(1)
        ``out_d`` holds the result of operands presented ``latency`` cycles earlier.
    out_d : Out(signed(acc_width))
        The registered, wrapped sum; held while ``in_valid`` is low.
    """

    #: Reduction-axis elements consumed per cycle.
    K_STEP = 8

    def __init__(self, *, acc_width=32):
        self._acc_width = check_acc_width(acc_width)
        super().__init__({
            "in_valid": In(1),
            "in_a": In(data.ArrayLayout(unsigned(REF_ACT_BITS), self.K_STEP)),
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
        width = REF_ACT_BITS + ACT_BITS
        m.submodules.tree = tree = AdderTree(count=self.K_STEP + 1,
                                             in_bits=max(width, self._acc_width),
                                             out_bits=self._acc_width)
        for i in range(self.K_STEP):
            mult = m.submodules[f"mult_{i}"] = Multiplier(a_bits=REF_ACT_BITS, b_bits=ACT_BITS)
            m.d.comb += [mult.a.eq(self.in_a[i]), mult.b.eq(self.in_b[i]),
                         tree.operands[i].eq(mult.product)]
        m.d.comb += tree.operands[self.K_STEP].eq(self.in_c)
        with m.If(self.in_valid):
            m.d.sync += self.out_d.eq(tree.total)
        m.d.sync += self.out_valid.eq(self.in_valid)
        return m
