"""A fixed delay line: the building block of the array's input skew and output deskew."""

import numbers

from amaranth import Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Delay"]


class Delay(wiring.Component):
    """``q`` is ``d`` delayed by ``depth`` clock cycles (a chain of registers).

    The array builds every skew of ``k`` cycles from the delays ``2**b`` of the
    binary digits of ``k``, so a 128-row array needs 8 distinct delay modules per
    width instead of 128.

    Parameters
    ----------
    width : int
        Bits carried, 1 or more.
    depth : int
        Registers in the chain, 1 or more.

    Members
    -------
    d : In(unsigned(width))
    q : Out(unsigned(width))
    """

    def __init__(self, *, width, depth):
        for name, value in (("width", width), ("depth", depth)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self._depth = int(depth)
        super().__init__({"d": In(unsigned(width)), "q": Out(unsigned(width))})

    @property
    def latency(self) -> int:
        return self._depth

    def elaborate(self, platform):
        m = Module()
        prev = self.d
        for k in range(self._depth):
            stage = Signal.like(self.d, name=f"delay_stage_{k}")
            m.d.sync += stage.eq(prev)
            prev = stage
        m.d.comb += self.q.eq(prev)
        return m
