"""One row of a tensor core: ``cols`` DP units sharing a row of A (Gemmini's tile level)."""

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.checks import check_acc_width, check_choice, check_config, check_int
from hdl.emit.hierarchy import place
from hdl.emit.naming import module_name
from hdl.tc.group_select import POSITION_BITS
from hdl.tc.sparse_select import SparseSelect
from hdl.tc.variants import STC_DENSITY, dp_class
from hdl.tru import TrimRoundUnit

__all__ = ["DotProductRow"]


class DotProductRow(wiring.Component):
    """Row ``r`` of a TC or STC array: ``cols`` DP units accumulating ``D[r][:]``.

    TC with DP units that take pair words (SPARQ): the row's TRUs (one per
    activation pair, shared by its DP units) sit here.  STC: each column has
    its own :class:`SparseSelect` (selection muxes, and TRUs for SPARQ).
    Rows with TRUs wait one cycle for them: ``in_valid``, ``in_first`` and
    ``in_c`` go through ``s1_*``
    registers, while ``in_b`` must already be aligned with the DP stage (the
    array delays it once for all rows).  Each DP unit's output register is
    its accumulator: ``c = in_c`` on a first step, else its own ``d``.

    Parameters
    ----------
    arch : str
        ``"tc"`` or ``"stc"``.
    variant : str
        One of :data:`hdl.tc.variants.ARRAY_VARIANTS`.
    config : golden.sparq.Config or None
        For the variants built from a configuration (SPARQ) only.
    cols : int
        DP units in the row.
    acc_width : int
    hierarchy : Hierarchy or None
        As :class:`hdl.tc.array.TensorCore`: DP units, TRUs and selections
        become instances of their modules.

    Members
    -------
    in_valid, in_first : In(1)
        The step's control, as the array receives it.
    in_a : In(ArrayLayout(unsigned(8), k_step))
        The row's A slice (dense).
    in_b : In(ArrayLayout(ArrayLayout(signed(8), W), cols))
        Weights of every column at the DP stage (TC: ``W = k_step``; STC:
        the compressed values, ``W = k_step / 2``).
    in_values, in_positions : In(...)
        STC only: the compressed weights as the array receives them, for the
        selection muxes.
    in_c : In(ArrayLayout(signed(acc_width), cols))
        ``C[r][:]``, used on first steps.
    out_d : Out(ArrayLayout(signed(acc_width), cols))
        The accumulators.
    """

    def __init__(self, *, arch, variant, config=None, cols=4, acc_width=32, hierarchy=None):
        self._arch = check_choice("arch", arch, ("tc", "stc"))
        self._dp = dp_class(variant, arrays=True)
        self._variant = variant
        self._config = check_config(config) if self._dp.config_rule else None
        self._cols = check_int("cols", cols, 1)
        self._acc_width = check_acc_width(acc_width)
        self._hierarchy = hierarchy
        k = self.k_step
        w = k if arch == "tc" else k // 2
        ports = {
            "in_valid": In(1), "in_first": In(1),
            "in_a": In(data.ArrayLayout(unsigned(ACT_BITS), k)),
            "in_b": In(data.ArrayLayout(data.ArrayLayout(signed(ACT_BITS), w), cols)),
            "in_c": In(data.ArrayLayout(signed(acc_width), cols)),
            "out_d": Out(data.ArrayLayout(signed(acc_width), cols)),
        }
        if arch == "stc":
            ports["in_values"] = In(data.ArrayLayout(data.ArrayLayout(signed(ACT_BITS), w), cols))
            ports["in_positions"] = In(data.ArrayLayout(
                data.ArrayLayout(unsigned(POSITION_BITS), w), cols))
        super().__init__(ports)

    @property
    def k_step(self) -> int:
        return self._dp.k_step * (STC_DENSITY if self._arch == "stc" else 1)

    @property
    def module_name(self) -> str:
        return module_name(f"{self._arch}_row", self._config or self._variant,
                           f"c{self._cols}", f"acc{self._acc_width}")

    def elaborate(self, platform):
        m = Module()
        sparq = self._dp.takes_words
        valid, first, c = self.in_valid, self.in_first, self.in_c
        if sparq:                     # wait for the TRUs
            valid, first = Signal(name="s1_valid"), Signal(name="s1_first", reset_less=True)
            c = Signal.like(self.in_c, name="s1_c", reset_less=True)
            m.d.sync += [valid.eq(self.in_valid), first.eq(self.in_first), c.eq(self.in_c)]
        words = self._row_trus(m) if sparq and self._arch == "tc" else None
        for n in range(self._cols):
            dp = place(m, f"dp_c{n}", self._make_dp, self._hierarchy)
            self._feed(m, n, dp, words)
            m.d.comb += [dp.in_valid.eq(valid), dp.in_b.eq(self.in_b[n]),
                         dp.in_c.eq(Mux(first, c[n], dp.out_d)),
                         self.out_d[n].eq(dp.out_d)]
        return m

    def _make_dp(self):
        return self._dp.build(self._config, self._acc_width)

    def _row_trus(self, m):
        """TC SPARQ: one TRU per activation pair of the row, shared by its DP units."""
        words = []
        for j in range(self.k_step // 2):
            tru = place(m, f"tru_p{j}", lambda: TrimRoundUnit(config=self._config),
                        self._hierarchy)
            m.d.comb += [tru.in_valid.eq(self.in_valid),
                         tru.in_pair[0].eq(self.in_a[2 * j]),
                         tru.in_pair[1].eq(self.in_a[2 * j + 1])]
            words.append(tru.out_word)
        return words

    def _feed(self, m, n, dp, words):
        """The activations (or pair words) of column ``n``'s DP unit."""
        if self._arch == "tc":
            if words is not None:
                m.d.comb += [dp.in_words[j].eq(w) for j, w in enumerate(words)]
            else:
                m.d.comb += dp.in_a.eq(self.in_a)
            return
        sparq = self._dp.takes_words
        sel = place(m, f"select_c{n}",
                    lambda: SparseSelect(variant=self._variant, config=self._config),
                    self._hierarchy)
        m.d.comb += [sel.in_valid.eq(self.in_valid), sel.in_a.eq(self.in_a),
                     sel.in_values.eq(self.in_values[n]),
                     sel.in_positions.eq(self.in_positions[n])]
        m.d.comb += dp.in_words.eq(sel.out_words) if sparq else dp.in_a.eq(sel.out_a)
