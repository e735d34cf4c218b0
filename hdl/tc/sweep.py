"""The control of a tensor core's K sweeps: the weight bus and ``out_valid``, once for all rows."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_int
from hdl.emit.naming import module_name

__all__ = ["SweepControl"]


class SweepControl(wiring.Component):
    """Delays the weight bus to the DP stage and marks finished tiles.

    Arrays whose DP units take pair words put the rows' TRUs one cycle in
    front of the DP units (``delay`` 1): the weights, ``in_valid`` and
    ``in_last`` wait for them in ``s1_*`` registers here, once for all rows.
    ``out_valid`` rises one cycle after the (delayed) last step reached the
    DP units' output registers.

    Parameters
    ----------
    width : int
        Bits of the weight bus.
    delay : int
        0 or 1 cycles in front of the DP stage.

    Members
    -------
    in_valid, in_last : In(1)
        The array's step control.
    in_b : In(width)
        The weights as the array receives them.
    out_b : Out(width)
        The weights at the DP stage.
    out_valid : Out(1)
        The array's ``out_valid``.
    """

    def __init__(self, *, width: int, delay: int):
        self._width = check_int("width", width, 1)
        self._delay = check_int("delay", delay, 0, 1)
        super().__init__({"in_valid": In(1), "in_last": In(1), "in_b": In(width),
                          "out_b": Out(width), "out_valid": Out(1)})

    @property
    def module_name(self) -> str:
        return module_name("tc_sweep", f"w{self._width}", f"d{self._delay}")

    def elaborate(self, platform):
        m = Module()
        b, valid, last = self.in_b, self.in_valid, self.in_last
        if self._delay:
            b = Signal.like(self.in_b, name="s1_b", reset_less=True)
            valid, last = Signal(name="s1_valid"), Signal(name="s1_last", reset_less=True)
            m.d.sync += [b.eq(self.in_b), valid.eq(self.in_valid), last.eq(self.in_last)]
        m.d.comb += self.out_b.eq(b)
        m.d.sync += self.out_valid.eq(valid & last)
        return m
