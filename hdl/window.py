"""bSPARQ window: trim one 8-bit value into an n-bit window, with rounding."""

from amaranth import Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.checks import check_bool, check_int

__all__ = ["Window"]


class Window(wiring.Component):
    """Combinational bSPARQ trim-and-round of one value (SPARQ.md section 3).

    The window is the lowest allowed one that holds the leading one.  Each
    candidate window computes its round-up decision from the input bits in
    parallel (guard bit, sticky bits, window LSB); the selected window's bits
    and decision then go through a single saturating incrementer.

    Parameters
    ----------
    bits : int
        Window width ``n`` (1..8).
    shifts : tuple of int
        Allowed shifts, ascending; the last must be ``8 - bits``.
    rounding : bool
        Round half to even on the dropped bits, saturating in the window.

    Members
    -------
    x : In(8)
        The activation code.
    q : Out(bits)
        The window contents.
    sel : Out(max(1, ceil(log2(len(shifts)))))
        Index of the chosen shift in ``shifts``.
    """

    def __init__(self, *, bits, shifts, rounding):
        bits = check_int("bits", bits, 1, ACT_BITS)
        shifts = tuple(check_int("shift", s, 0, ACT_BITS) for s in shifts)
        if not shifts or list(shifts) != sorted(set(shifts)) or shifts[-1] != ACT_BITS - bits \
                or shifts[0] < 0:
            raise ValueError(f"shifts must ascend from >= 0 to {ACT_BITS - bits}, got {shifts!r}")
        self._bits, self._shifts = bits, shifts
        self._rounding = check_bool("rounding", rounding)
        super().__init__({
            "x": In(ACT_BITS),
            "q": Out(bits),
            # At least one bit, so a single-window instance has no zero-width port.
            "sel": Out(unsigned(max(1, (len(shifts) - 1).bit_length()))),
        })

    @property
    def shifts(self):
        return self._shifts

    def elaborate(self, platform):
        m = Module()
        n, x = self._bits, self.x

        # Lowest window whose bits above it are all zero; the last (top) one always fits.
        last = len(self._shifts) - 1
        for i, sh in enumerate(self._shifts[:-1]):
            with (m.Elif if i else m.If)(x[sh + n:] == 0):
                m.d.comb += self.sel.eq(i)
        if last:
            with m.Else():
                m.d.comb += self.sel.eq(last)

        trim = Signal(n)
        round_up = Signal()
        with m.Switch(self.sel):
            for i, sh in enumerate(self._shifts):
                with m.Case(i):
                    m.d.comb += trim.eq(x[sh:sh + n])
                    if self._rounding and sh > 0:
                        guard = x[sh - 1]
                        sticky = x[:sh - 1].any() if sh > 1 else 0
                        m.d.comb += round_up.eq(guard & (sticky | x[sh]))

        if self._rounding:
            saturated = trim == (1 << n) - 1
            m.d.comb += self.q.eq(Mux(round_up & ~saturated, trim + 1, trim))
        else:
            m.d.comb += self.q.eq(trim)
        return m
