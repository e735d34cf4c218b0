"""The front end of a sparse tensor-core DP unit: 2:4 selection, then trim-and-round."""

from amaranth import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.checks import check_config
from hdl.emit.naming import module_name
from hdl.layouts import PairWord
from hdl.tc.group_select import POSITION_BITS, GroupSelect
from hdl.tc.variants import STC_DENSITY, dp_class
from hdl.tru import TrimRoundUnit

__all__ = ["SparseSelect"]


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
    in_a : In(ArrayLayout(unsigned(8), k_step))
        Dense activations of ``k_step / 4`` aligned groups.
    in_values : In(ArrayLayout(signed(8), k_step / 2))
        Compressed weights: ``2g`` and ``2g + 1`` belong to group ``g``.
    in_positions : In(ArrayLayout(unsigned(2), k_step / 2))
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
        self._dp = dp_class(variant, arrays=True)
        self._variant = variant
        self._config = check_config(config) if self._dp.config_rule else None
        if self._config is None and config is not None:
            raise ValueError(f"the {variant} selection takes no SPARQ configuration")
        k = self.k_step
        ports = {
            "in_valid": In(1),
            "in_a": In(data.ArrayLayout(unsigned(ACT_BITS), k)),
            "in_values": In(data.ArrayLayout(signed(ACT_BITS), k // 2)),
            "in_positions": In(data.ArrayLayout(unsigned(POSITION_BITS), k // 2)),
            "out_valid": Out(1),
        }
        if self._dp.takes_words:
            ports["out_words"] = Out(data.ArrayLayout(PairWord(config), k // 4))
        else:
            ports["out_a"] = Out(data.ArrayLayout(unsigned(ACT_BITS), k // 2))
        super().__init__(ports)

    @property
    def k_step(self) -> int:
        """Dense K a cycle: twice the DP unit's weight slots (2:4)."""
        return STC_DENSITY * self._dp.k_step

    @property
    def latency(self) -> int:
        return 1 if self._dp.takes_words else 0

    @property
    def module_name(self) -> str:
        return module_name("stc_select", self._config or self._variant)

    def elaborate(self, platform):
        m = Module()
        for g in range(self.k_step // 4):
            sel = m.submodules[f"select_{g}"] = GroupSelect()
            m.d.comb += [sel.group[i].eq(self.in_a[4 * g + i]) for i in range(4)]
            m.d.comb += [sel.values[i].eq(self.in_values[2 * g + i]) for i in range(2)]
            m.d.comb += [sel.positions[i].eq(self.in_positions[2 * g + i]) for i in range(2)]
            if self._dp.takes_words:
                tru = m.submodules[f"tru_{g}"] = TrimRoundUnit(config=self._config)
                m.d.comb += [tru.in_valid.eq(self.in_valid), tru.in_pair.eq(sel.pair),
                             self.out_words[g].eq(tru.out_word)]
                if g == 0:
                    m.d.comb += self.out_valid.eq(tru.out_valid)
            else:
                m.d.comb += [self.out_a[2 * g + i].eq(sel.pair[i]) for i in range(2)]
        if not self._dp.takes_words:
            m.d.comb += self.out_valid.eq(self.in_valid)
        return m
