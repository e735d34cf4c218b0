"""The front end of a sparse tensor-core DP unit: 2:4 selection, then trim-and-round."""

from amaranth import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.layouts import PairWord
from hdl.tc.group_select import POSITION_BITS, GroupSelect
from hdl.tc.params import check_config, check_variant
from hdl.tru import TrimRoundUnit

__all__ = ["SparseSelect", "stc_k_step"]


def stc_k_step(variant: str) -> int:
    """Dense K elements a sparse DP unit consumes a cycle: its weight slots x 2 (2:4)."""
    return 16 if variant == "sparq" else 8


class SparseSelect(wiring.Component):
    """Selection muxes (one :class:`GroupSelect` per group), then TRUs for SPARQ.

    ``"8b8b"``: 2 groups (8 dense activations) -> the 4 activations of the
    4 non-zero weights, combinational (``latency`` 0), on ``out_a``.
    ``"sparq"``: 4 groups (16 dense activations) -> 4 pairs -> one
    :class:`~hdl.tru.TrimRoundUnit` per pair (the paper's per-DP-unit TRU:
    the pairing depends on this DP unit's weights) -> 4 pair words on
    ``out_words``, registered (``latency`` 1).

    Parameters
    ----------
    variant : str
        ``"8b8b"`` or ``"sparq"``.
    config : golden.sparq.Config or None
        Required for ``"sparq"``.

    Members
    -------
    in_valid : In(1)
    in_a : In(ArrayLayout(unsigned(8), K_STEP))
        Dense activations of ``K_STEP / 4`` aligned groups.
    in_values : In(ArrayLayout(signed(8), K_STEP / 2))
        Compressed weights: ``2g`` and ``2g + 1`` belong to group ``g``.
    in_positions : In(ArrayLayout(unsigned(2), K_STEP / 2))
        Their positions inside the group.
    out_valid : Out(1)
        ``in_valid`` delayed by ``latency``.
    out_a : Out(ArrayLayout(unsigned(8), 4))
        ``"8b8b"`` only: selected activation ``i`` goes with ``in_values[i]``.
    out_words : Out(ArrayLayout(PairWord(config), 4))
        ``"sparq"`` only: word ``g`` holds group ``g``'s pair, for
        ``in_values[2g]`` and ``in_values[2g + 1]``.
    """

    def __init__(self, *, variant, config=None):
        self._variant = check_variant(variant, ("8b8b", "sparq"))
        self._config = check_config(config) if variant == "sparq" else None
        k = self.k_step
        ports = {
            "in_valid": In(1),
            "in_a": In(data.ArrayLayout(unsigned(ACT_BITS), k)),
            "in_values": In(data.ArrayLayout(signed(ACT_BITS), k // 2)),
            "in_positions": In(data.ArrayLayout(unsigned(POSITION_BITS), k // 2)),
            "out_valid": Out(1),
        }
        if variant == "sparq":
            ports["out_words"] = Out(data.ArrayLayout(PairWord(config), k // 4))
        else:
            ports["out_a"] = Out(data.ArrayLayout(unsigned(ACT_BITS), k // 2))
        super().__init__(ports)

    @property
    def k_step(self) -> int:
        return stc_k_step(self._variant)

    @property
    def latency(self) -> int:
        return 1 if self._variant == "sparq" else 0

    def elaborate(self, platform):
        m = Module()
        for g in range(self.k_step // 4):
            sel = m.submodules[f"select_{g}"] = GroupSelect()
            m.d.comb += [sel.group[i].eq(self.in_a[4 * g + i]) for i in range(4)]
            m.d.comb += [sel.values[i].eq(self.in_values[2 * g + i]) for i in range(2)]
            m.d.comb += [sel.positions[i].eq(self.in_positions[2 * g + i]) for i in range(2)]
            if self._variant == "sparq":
                tru = m.submodules[f"tru_{g}"] = TrimRoundUnit(config=self._config)
                m.d.comb += [tru.in_valid.eq(self.in_valid), tru.in_pair.eq(sel.pair),
                             self.out_words[g].eq(tru.out_word)]
                if g == 0:
                    m.d.comb += self.out_valid.eq(tru.out_valid)
            else:
                m.d.comb += [self.out_a[2 * g + i].eq(sel.pair[i]) for i in range(2)]
        if self._variant != "sparq":
            m.d.comb += self.out_valid.eq(self.in_valid)
        return m
