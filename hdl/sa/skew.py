"""A triangle of delay lines: lane ``k`` of a bus delayed ``k`` cycles (or the reverse)."""

from __future__ import annotations

from amaranth import Cat, Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_int
from hdl.emit.hierarchy import Hierarchy, place
from hdl.emit.naming import module_name
from hdl.sa.delay import delayed

__all__ = ["Skew", "skewed"]


def skewed(m, name: str, bus, width: int, lanes: int, reverse: bool = False,
           hierarchy: Hierarchy | None = None):
    """``bus`` (``lanes`` lanes of ``width`` bits) through a :class:`Skew`."""
    if lanes == 1:
        return Cat(bus)
    skew = place(m, f"{name}_skew",
                 lambda: Skew(width=width, lanes=lanes, reverse=reverse, hierarchy=hierarchy),
                 hierarchy, {"d": Cat(bus)})
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
    hierarchy : Hierarchy or None
        Emit the parts as instances of smaller skew and delay modules.

    Members
    -------
    d : In(unsigned(width * lanes))
        Lane ``k`` in bits ``[k * width, (k + 1) * width)``.
    q : Out(unsigned(width * lanes))
    """

    def __init__(self, *, width, lanes, reverse=False, hierarchy: Hierarchy | None = None):
        self._width, self._lanes = check_int("width", width, 1), check_int("lanes", lanes, 2)
        self._reverse, self._hierarchy = bool(reverse), hierarchy
        super().__init__({"d": In(unsigned(width * lanes)), "q": Out(unsigned(width * lanes))})

    @property
    def module_name(self) -> str:
        return module_name("sa_skew", f"w{self._width}", f"l{self._lanes}",
                           "rev" if self._reverse else None)

    def elaborate(self, platform):
        m = Module()
        w, n = self._width, self._lanes
        h = 1 << ((n - 1).bit_length() - 1)
        low, high = self.d[:h * w], self.d[h * w:]
        hier, rev = self._hierarchy, self._reverse
        low = skewed(m, "low", low, w, h, rev, hier)
        high = skewed(m, "high", high, w, n - h, rev, hier)
        # Forward: the upper lanes wait h cycles more; reverse: the lower n - h more.
        if rev:
            low = delayed(m, "low_wait", low, n - h, hier)
        else:
            high = delayed(m, "high_wait", high, h, hier)
        m.d.comb += self.q.eq(Cat(low, high))
        return m
