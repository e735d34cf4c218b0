"""A multi-operand adder: products plus a partial sum (SA) or plus ``c`` (TC)."""

from amaranth import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["AdderTree"]


class AdderTree(wiring.Component):
    """Combinational sum of ``count`` signed operands, wrapped to ``out_bits``.

    Written as one sum so that synthesis can build a single carry-save tree
    with one carry-propagate adder at the end, instead of a chain of adders.
    Its own module so that hierarchical synthesis reports its area.

    Parameters
    ----------
    count : int
        Number of operands, 2 to 64.
    in_bits : int
        Width of each signed operand.
    out_bits : int
        Width of the wrapped two's-complement sum.

    Members
    -------
    operands : In(ArrayLayout(signed(in_bits), count))
    total : Out(signed(out_bits))
    """

    def __init__(self, *, count, in_bits, out_bits):
        for name, value, lo, hi in (("count", count, 2, 64), ("in_bits", in_bits, 2, 64),
                                    ("out_bits", out_bits, 2, 64)):
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise ValueError(f"{name} must be an int in {lo}..{hi}, got {value!r}")
        self._count = count
        super().__init__({
            "operands": In(data.ArrayLayout(signed(in_bits), count)),
            "total": Out(signed(out_bits)),
        })

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.total.eq(sum(self.operands[i] for i in range(self._count)))
        return m
