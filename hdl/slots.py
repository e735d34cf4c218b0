"""How a pair word's slots are filled from the windows: one rule for every trimming unit."""

from __future__ import annotations

from amaranth import Signal

__all__ = ["fill_word"]


def fill_word(m, word, x0, x1, a, b, upper, lower) -> None:
    """Drive ``word`` (a ``PairWord`` view) combinationally.

    Both activations non-zero: slot A gets ``a`` and slot B ``b``, each a
    ``(data, idx)`` pair from its own window.  One activation zero: its
    partner is a lone value, split into ``upper`` and ``lower`` (``(data,
    idx)`` each); the upper half stays in the lone value's own slot and the
    lower half goes to the zero one's slot with its mux bit set (multiply by
    the partner's weight).  Both zero: an all-zero word.
    """
    zero_a, zero_b = Signal(name="zero_a"), Signal(name="zero_b")
    m.d.comb += [zero_a.eq(x0 == 0), zero_b.eq(x1 == 0)]

    def put(slot, fields, mux=0):
        m.d.comb += [slot.data.eq(fields[0]), slot.idx.eq(fields[1])]
        if mux:
            m.d.comb += slot.mux.eq(1)

    with m.If(~zero_a & ~zero_b):
        put(word.a, a)
        put(word.b, b)
    with m.Elif(~zero_a):
        put(word.a, upper)
        put(word.b, lower, mux=1)
    with m.Elif(~zero_b):
        put(word.b, upper)
        put(word.a, lower, mux=1)
