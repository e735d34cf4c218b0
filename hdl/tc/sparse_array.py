"""The 2:4 sparse tensor core: an M x N grid of sparse DP units, D = A x B + C."""

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.checks import check_acc_width, check_config, check_int
from hdl.emit.hierarchy import place
from hdl.emit.naming import module_name
from hdl.tc.group_select import POSITION_BITS
from hdl.tc.params import SweepTiming
from hdl.tc.row import DotProductRow
from hdl.tc.variants import STC_DENSITY, dp_class

__all__ = ["SparseTensorCore"]


class SparseTensorCore(SweepTiming, wiring.Component):
    """``D = A x B + C`` with 2:4 sparse B arriving compressed, k_step dense K a cycle.

    Rows of cells (:class:`~hdl.tc.row.DotProductRow`); each cell ``(r, n)``
    has a :class:`SparseSelect` (its selection muxes
    depend on column ``n``'s weight positions; for SPARQ also its own TRUs,
    SPARQ.md sections 5 and 7) and a DP unit whose output register
    accumulates ``D[r][n]``.  Skipping the zero weights doubles the dense K
    rate of the tensor core: ``"8b8b"`` consumes k_step = 8 dense K (4
    non-zero weights) a cycle, ``latency`` 1; ``"sparq"`` k_step = 16 (8
    weight slots), ``latency`` 2 (values, here once for all rows, C and
    control, in the rows, wait for the TRUs in ``s1_*`` registers).  Protocol as :class:`hdl.tc.array.TensorCore`: a
    sweep over K is a run of ``in_valid`` steps marked ``in_first`` (loads
    ``in_c``) and ``in_last``; ``ceil(K / k_step)`` steps; D appears
    ``latency`` cycles after the last.

    Parameters
    ----------
    variant : str
        ``"8b8b"`` (the sparse baseline) or ``"sparq"``.
    config : golden.sparq.Config or None
        Required for ``"sparq"``.
    rows, cols : int
        Tile size M x N (1..64).
    acc_width : int
        Width of C and D (default 32).
    hierarchy : hdl.emit.Hierarchy or None
        If given, rows, DP units and their TRUs or selections become
        ``Instance`` s of their modules, each converted once (see
        :func:`hdl.tc.build.emit_array`); else a plain Amaranth hierarchy.

    Members
    -------
    in_valid, in_first, in_last : In(1)
    in_a : In(ArrayLayout(ArrayLayout(unsigned(8), k_step), rows))
        ``in_a[r][k] = A[r][k0 + k]`` (dense; ``k0`` a multiple of k_step).
    in_values : In(ArrayLayout(ArrayLayout(signed(8), k_step / 2), cols))
        ``in_values[n][i] = values[k0 / 2 + i][n]`` of golden.sparq.compress_2to4(B).
    in_positions : In(ArrayLayout(ArrayLayout(unsigned(2), k_step / 2), cols))
        The matching positions.
    in_c : In(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
        Sampled on ``in_first`` steps.
    out_valid : Out(1)
        ``out_d`` holds a finished tile for one cycle.
    out_d : Out(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
    """

    def __init__(self, *, variant="sparq", config=None, rows=4, cols=4, acc_width=32,
                 hierarchy=None):
        self._dp = dp_class(variant, arrays=True)
        self._variant = variant
        self._hierarchy = hierarchy
        self._config = check_config(config) if self._dp.config_rule else None
        if self._config is None and config is not None:
            raise ValueError(f"the {variant} array takes no SPARQ configuration")
        self._rows, self._cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
        self._acc_width = check_acc_width(acc_width)
        k = self.k_step
        tile = data.ArrayLayout(data.ArrayLayout(signed(acc_width), cols), rows)
        super().__init__({
            "in_valid": In(1), "in_first": In(1), "in_last": In(1),
            "in_a": In(data.ArrayLayout(data.ArrayLayout(unsigned(ACT_BITS), k), rows)),
            "in_values": In(data.ArrayLayout(data.ArrayLayout(signed(ACT_BITS), k // 2), cols)),
            "in_positions": In(data.ArrayLayout(
                data.ArrayLayout(unsigned(POSITION_BITS), k // 2), cols)),
            "in_c": In(tile),
            "out_valid": Out(1),
            "out_d": Out(tile),
        })

    @property
    def dp_class(self):
        """The DP unit variant (its class, with ``k_step``, ``reference`` and the rest)."""
        return self._dp

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def cols(self) -> int:
        return self._cols

    @property
    def k_step(self) -> int:
        """Dense K elements consumed per step (per cycle): twice the DP unit's (2:4)."""
        return STC_DENSITY * self._dp.k_step

    @property
    def module_name(self) -> str:
        return module_name("stc_array", self._config or self._variant,
                           f"{self._rows}x{self._cols}", f"acc{self._acc_width}")

    def elaborate(self, platform):
        m = Module()
        values, valid, last = self.in_values, self.in_valid, self.in_last
        if self._dp.takes_words:      # values wait for the TRUs once, for all rows
            values = Signal.like(self.in_values, name="s1_values", reset_less=True)
            valid, last = Signal(name="s1_valid"), Signal(name="s1_last", reset_less=True)
            m.d.sync += [values.eq(self.in_values), valid.eq(self.in_valid),
                         last.eq(self.in_last)]
        for r in range(self._rows):
            row = place(m, f"row_{r}", self._make_row, self._hierarchy, connect={"in_valid": self.in_valid, "in_first": self.in_first,
                                 "in_a": self.in_a[r], "in_b": values,
                                 "in_values": self.in_values,
                                 "in_positions": self.in_positions, "in_c": self.in_c[r]})
            m.d.comb += self.out_d[r].eq(row.out_d)
        m.d.sync += self.out_valid.eq(valid & last)
        return m

    def _make_row(self):
        return DotProductRow(arch="stc", variant=self._variant, config=self._config,
                             cols=self._cols, acc_width=self._acc_width,
                             hierarchy=self._hierarchy)
