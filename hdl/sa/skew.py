"""A triangle of delay lines: lane ``k`` of a bus delayed ``k`` cycles (or the reverse)."""

from __future__ import annotations

import numbers

from amaranth import Cat, Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.sa.delay import delayed
from hdl.sa.stitch import Hierarchy, place

__all__ = ["Skew", "skewed"]


def skewed(m, name: str, bus, width: int, lanes: int, reverse: bool = False,
           hierarchy: Hierarchy | None = None, names: dict | None = None):
    """``bus`` (``lanes`` lanes of ``width`` bits) through a :class:`Skew`."""
    if lanes == 1:
        return Cat(bus)
    module = names["skew"](width, lanes, reverse) if names else None
    skew = place(m, f"{name}_skew",
                 lambda: Skew(width=width, lanes=lanes, reverse=reverse, hierarchy=hierarchy,
                              names=names),
                 hierarchy, module, {"d": Cat(bus)})
    return skew.q


class Skew(wiring.Component):
    """Skews ``lanes`` lanes of ``width`` bits: lane ``k`` is delayed ``k`` cycles.

    With ``reverse`` lane ``k`` is delayed ``lanes - 1 - k`` cycles (to align
    what a skewed array produces).  Built recursively: the lower ``h`` lanes
    (``h`` the largest power of two below ``lanes``) are a smaller skew, the
    upper ones a smaller skew followed by an ``h``-cycle :class:`Delay` of the
    whole group, so every module holds a few instances and no long register
    chain.

    Parameters
    ----------
    width : int
        Bits per lane.
    lanes : int
        Lanes, 2 or more (one lane needs no register).
    reverse : bool
    hierarchy, names :
        As for :class:`~hdl.sa.array.SystolicArray`.

    Members
    -------
    d : In(unsigned(width * lanes))
        Lane ``k`` in bits ``[k * width, (k + 1) * width)``.
    q : Out(unsigned(width * lanes))
    """

    def __init__(self, *, width, lanes, reverse=False, hierarchy: Hierarchy | None = None,
                 names: dict | None = None):
        for name, value, lo in (("width", width, 1), ("lanes", lanes, 2)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lo:
                raise ValueError(f"{name} must be an int >= {lo}, got {value!r}")
        self._width, self._lanes, self._reverse = int(width), int(lanes), bool(reverse)
        self._hierarchy, self._names = hierarchy, names
        super().__init__({"d": In(unsigned(width * lanes)), "q": Out(unsigned(width * lanes))})

    def elaborate(self, platform):
        m = Module()
        w, n = self._width, self._lanes
        h = 1 << ((n - 1).bit_length() - 1)
        low, high = self.d[:h * w], self.d[h * w:]
        hier, names, rev = self._hierarchy, self._names, self._reverse
        low = skewed(m, "low", low, w, h, rev, hier, names)
        high = skewed(m, "high", high, w, n - h, rev, hier, names)
        # Forward: the upper lanes wait h cycles more; reverse: the lower n - h more.
        if rev:
            low = delayed(m, "low_wait", low, n - h, hier, names)
        else:
            high = delayed(m, "high_wait", high, h, hier, names)
        m.d.comb += self.q.eq(Cat(low, high))
        return m
