"""A multi-operand adder: products plus a partial sum (SA) or plus ``c`` (TC)."""

import numbers

from amaranth import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_int

__all__ = ["AdderTree"]


class AdderTree(wiring.Component):
    """Combinational sum of ``count`` signed operands, wrapped to ``out_bits``.

    Each operand has its own significant width: operand ``i`` is read as the
    signed value of its low ``in_bits[i]`` bits, so a 17-bit product is not
    added as a 32-bit sign-extended number.  The narrow operands are summed
    first (their sum grows one bit per addition) and the wide one (partial sum
    or ``c``) last; synthesis merges the whole expression into one carry-save
    tree with a single carry-propagate adder.  Narrow operands make that tree
    13 to 33% smaller than sign-extending everything to the accumulator width
    (``python -m synth.experiments``).  Its own module so that hierarchical
    synthesis reports its area.

    Parameters
    ----------
    count : int
        Number of operands, 2 to 64.
    in_bits : int or sequence of int
        Significant width of each signed operand (one width for all, or one
        per operand).
    out_bits : int
        Width of the wrapped two's-complement sum.

    Members
    -------
    operands : In(ArrayLayout(signed(max(in_bits)), count))
        The operands; bits above an operand's own width are ignored.
    total : Out(signed(out_bits))
    """

    def __init__(self, *, count, in_bits, out_bits):
        check_int("count", count, 2, 64)
        check_int("out_bits", out_bits, 2, 64)
        widths = [in_bits] * count if isinstance(in_bits, numbers.Integral) else list(in_bits)
        if len(widths) != count:
            raise ValueError(f"in_bits has {len(widths)} widths for {count} operands")
        for w in widths:
            check_int("in_bits", w, 2, 64)
        self._widths = tuple(int(w) for w in widths)
        super().__init__({
            "operands": In(data.ArrayLayout(signed(max(self._widths)), count)),
            "total": Out(signed(out_bits)),
        })

    @property
    def widths(self) -> tuple[int, ...]:
        return self._widths

    @property
    def order(self) -> tuple[int, ...]:
        """The operands in the order they are summed: narrowest first, ties by index.

        A formal reference must add in the same order (equivalence proofs of
        adder trees in another order time out).
        """
        return tuple(sorted(range(len(self._widths)), key=lambda i: self._widths[i]))

    def elaborate(self, platform):
        m = Module()
        terms = [self.operands[i][:self._widths[i]].as_signed() for i in self.order]
        m.d.comb += self.total.eq(sum(terms[1:], terms[0]))
        return m

