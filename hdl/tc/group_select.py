"""The 2:4 selection multiplexers of one group: 4 dense activations -> 2 selected."""

from amaranth import Module, Mux, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.layouts import ActPair

__all__ = ["GroupSelect", "POSITION_BITS"]

#: Width of a weight's position inside its group of 4.
POSITION_BITS = 2


class GroupSelect(wiring.Component):
    """Pick the activations of a group's (up to) two non-zero weights; combinational.

    ``pair[i] = group[positions[i]]`` when ``values[i] != 0``, else 0: a
    missing weight is stored as value 0 at position 0 (see
    :func:`golden.sparq.compress_2to4`), and SPARQ.md section 5 makes its slot
    a zero activation, so the pair seen by the trim-and-round unit is the
    one the golden model forms.

    Members
    -------
    group : In(ArrayLayout(unsigned(8), 4))
        The 4 dense activations of one aligned group along K.
    values : In(ArrayLayout(signed(8), 2))
        The group's compressed weights, in ascending position order.
    positions : In(ArrayLayout(unsigned(2), 2))
        Their positions inside the group.
    pair : Out(ActPair)
        The selected activations, the pair of this group.
    """

    def __init__(self):
        super().__init__({
            "group": In(data.ArrayLayout(unsigned(ACT_BITS), 4)),
            "values": In(data.ArrayLayout(signed(ACT_BITS), 2)),
            "positions": In(data.ArrayLayout(unsigned(POSITION_BITS), 2)),
            "pair": Out(ActPair),
        })

    def elaborate(self, platform):
        m = Module()
        for i in range(2):
            m.d.comb += self.pair[i].eq(
                Mux(self.values[i] != 0, self.group[self.positions[i]], 0))
        return m
