"""Fixed delay lines: the building blocks of the array's input skew and output deskew."""

from __future__ import annotations

from amaranth import Cat, Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_int
from hdl.emit.hierarchy import Hierarchy, place
from hdl.emit.naming import module_name

__all__ = ["Delay", "delayed"]


def delayed(m, name: str, value, depth: int, hierarchy: Hierarchy | None = None):
    """``value`` delayed ``depth`` cycles, from one :class:`Delay` per binary digit."""
    value = Cat(value)
    width = len(value)
    for bit in range(depth.bit_length()):
        if depth >> bit & 1:
            delay = place(m, f"{name}_d{1 << bit}",
                          lambda bit=bit: Delay(width=width, depth=1 << bit,
                                                hierarchy=hierarchy),
                          hierarchy, {"d": value})
            value = delay.q
    return value


class Delay(wiring.Component):
    """``q`` is ``d`` delayed by ``depth`` clock cycles, ``depth`` a power of two.

    A delay of ``2**k`` is two delays of ``2**(k-1)``: with a hierarchy every
    emitted module holds one register or two instances, which keeps the
    conversion time flat however long the skew (Amaranth spends about a
    millisecond per register of a module).

    Parameters
    ----------
    width : int
        Bits carried, 1 or more.
    depth : int
        A power of two.
    hierarchy : Hierarchy or None
        Emit the halves as instances of smaller delay modules.

    Members
    -------
    d : In(unsigned(width))
    q : Out(unsigned(width))
    """

    def __init__(self, *, width, depth, hierarchy: Hierarchy | None = None):
        width, depth = check_int("width", width, 1), check_int("depth", depth, 1)
        if depth & (depth - 1):
            raise ValueError(f"depth must be a power of two, got {depth}")
        self._width, self._depth, self._hierarchy = width, depth, hierarchy
        super().__init__({"d": In(unsigned(width)), "q": Out(unsigned(width))})

    @property
    def latency(self) -> int:
        return self._depth

    @property
    def module_name(self) -> str:
        return module_name("sa_delay", f"w{self._width}", f"d{self._depth}")

    def elaborate(self, platform):
        m = Module()
        if self._depth == 1:
            stage = Signal.like(self.d, name="delay_stage")
            m.d.sync += stage.eq(self.d)
            m.d.comb += self.q.eq(stage)
            return m
        half = self._depth // 2
        first = delayed(m, "first", self.d, half, self._hierarchy)
        m.d.comb += self.q.eq(delayed(m, "second", first, half, self._hierarchy))
        return m
