"""Packed data layouts shared by the SPARQ units.

The pair word is the interface between the trim-and-round unit and the
two-slot multipliers (SPARQ.md section 6).  Amaranth places the first field of
a struct at the least significant bits, so ``PairWord`` packs slot A below slot
B and, inside a slot, ``data`` below ``idx`` below ``mux``: the bit order of
:func:`golden.sparq.encode`.
"""

from amaranth import unsigned
from amaranth.lib import data

from golden.sparq import ACT_BITS, Config

__all__ = ["ActPair", "Slot", "PairWord"]

#: Two 8-bit activation codes ``x[2j]`` (element 0) and ``x[2j+1]``.
ActPair = data.ArrayLayout(unsigned(ACT_BITS), 2)


def Slot(config: Config) -> data.StructLayout:
    """One slot: ``n`` data bits, a shift index into S and the weight-mux bit."""
    return data.StructLayout({
        "data": unsigned(config.bits),
        "idx": unsigned(config.idx_bits),
        "mux": unsigned(1),
    })


def PairWord(config: Config) -> data.StructLayout:
    """The packed pair word: slot A (LSBs) then slot B."""
    return data.StructLayout({"a": Slot(config), "b": Slot(config)})
