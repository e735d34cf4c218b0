"""An unsigned-by-signed array multiplier, the one multiplier every variant uses."""

from amaranth import Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_int

__all__ = ["Multiplier"]


class Multiplier(wiring.Component):
    """Combinational ``product = a * b`` of an unsigned activation and a signed weight.

    Kept as its own module in every PE and dot-product unit so that
    hierarchical synthesis reports multiplier area separately from shifters,
    muxes, adders and registers.

    Parameters
    ----------
    a_bits : int
        Width of the unsigned operand (activation data), 1 to 16.
    b_bits : int
        Width of the signed operand (weight), 2 to 16.

    Members
    -------
    a : In(unsigned(a_bits))
    b : In(signed(b_bits))
    product : Out(signed(a_bits + b_bits))
    """

    def __init__(self, *, a_bits, b_bits):
        check_int("a_bits", a_bits, 1, 16)
        check_int("b_bits", b_bits, 2, 16)
        super().__init__({
            "a": In(unsigned(a_bits)),
            "b": In(signed(b_bits)),
            "product": Out(signed(a_bits + b_bits)),
        })

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.product.eq(self.a * self.b)
        return m
