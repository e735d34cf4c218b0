"""The tensor core: an M x N grid of dot-product units, D = A x B + C."""

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.checks import check_acc_width, check_config, check_int
from hdl.emit.hierarchy import place
from hdl.emit.naming import module_name
from hdl.tc.params import SweepTiming
from hdl.tc.row import DotProductRow
from hdl.tc.variants import STC_DENSITY, dp_class

__all__ = ["TensorCore"]


class TensorCore(SweepTiming, wiring.Component):
    """``D = A x B + C`` for a ``rows x cols`` output tile, k_step of K a cycle.

    A column of :class:`~hdl.tc.row.DotProductRow` s of dot-product units
    (Volta's tensor core is 4 x 4).  DP unit ``(r, n)`` takes row ``r`` of
    the A slice and column ``n`` of the B slice; its output register is the
    accumulator of ``D[r][n]``.  A sweep over K is a run of steps
    (``in_valid`` cycles), the first marked ``in_first`` (it loads
    ``in_c``) and the last ``in_last``; a step may be both.  Idle cycles
    (``in_valid`` low) may separate steps; a new sweep may start right after
    an ``in_last`` step.

    ``"8b8b"``: baseline DP units, k_step = 4, ``latency`` 1.  ``"sparq"``:
    SPARQ DP units, k_step = 8; trim-and-round units on A, one per
    activation pair per row (k_step / 2 per row), shared by the ``cols`` DP
    units of that row (inside the row); B (here, once for all rows), C and
    the control (in the rows) wait one cycle for them in ``s1_*``
    registers, so ``latency`` is 2.  A sweep of K takes
    ``ceil(K / k_step)`` steps; D appears ``latency`` cycles after the last.

    Parameters
    ----------
    variant : str
        ``"8b8b"`` or ``"sparq"``.
    config : golden.sparq.Config or None
        Required for ``"sparq"``, ignored by ``"8b8b"``.
    rows, cols : int
        Tile size M x N (1..64).
    acc_width : int
        Width of C and D (default 32); sums wrap like golden.sparq.wrap.
    hierarchy : hdl.emit.Hierarchy or None
        If given, rows, DP units and their TRUs or selections become
        ``Instance`` s of their modules, each converted once (see
        :func:`hdl.tc.build.emit_array`); else a plain Amaranth hierarchy.

    Members
    -------
    in_valid : In(1)
        One K step of A and B is presented.
    in_first, in_last : In(1)
        The step is the first / last of its sweep over K.
    in_a : In(ArrayLayout(ArrayLayout(unsigned(8), k_step), rows))
        ``in_a[r][k] = A[r][k0 + k]``, activation codes of the step's K slice.
    in_b : In(ArrayLayout(ArrayLayout(signed(8), k_step), cols))
        ``in_b[n][k] = B[k0 + k][n]``: column ``n`` of the step's weight slice.
    in_c : In(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
        ``in_c[r][n] = C[r][n]``, sampled on ``in_first`` steps only.
    out_valid : Out(1)
        ``out_d`` holds a finished tile (one cycle, ``latency`` cycles after
        the ``in_last`` step).
    out_d : Out(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
        ``out_d[r][n] = D[r][n]`` (the accumulators; only meaningful with
        ``out_valid``).
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
        super().__init__({
            "in_valid": In(1), "in_first": In(1), "in_last": In(1),
            "in_a": In(data.ArrayLayout(data.ArrayLayout(unsigned(ACT_BITS), k), rows)),
            "in_b": In(data.ArrayLayout(data.ArrayLayout(signed(ACT_BITS), k), cols)),
            "in_c": In(data.ArrayLayout(data.ArrayLayout(signed(acc_width), cols), rows)),
            "out_valid": Out(1),
            "out_d": Out(data.ArrayLayout(data.ArrayLayout(signed(acc_width), cols), rows)),
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
        """Dense K elements consumed per step (per cycle)."""
        return self._dp.k_step

    @property
    def module_name(self) -> str:
        return module_name("tc_array", self._config or self._variant,
                           f"{self._rows}x{self._cols}", f"acc{self._acc_width}")

    def elaborate(self, platform):
        m = Module()
        b, valid, last = self.in_b, self.in_valid, self.in_last
        if self._dp.takes_words:      # B waits for the rows' TRUs once, for all rows
            b = Signal.like(self.in_b, name="s1_b", reset_less=True)
            valid, last = Signal(name="s1_valid"), Signal(name="s1_last", reset_less=True)
            m.d.sync += [b.eq(self.in_b), valid.eq(self.in_valid), last.eq(self.in_last)]
        for r in range(self._rows):
            row = place(m, f"row_{r}", self._make_row, self._hierarchy, connect={"in_valid": self.in_valid, "in_first": self.in_first,
                                 "in_a": self.in_a[r], "in_b": b, "in_c": self.in_c[r]})
            m.d.comb += self.out_d[r].eq(row.out_d)
        m.d.sync += self.out_valid.eq(valid & last)
        return m

    def _make_row(self):
        return DotProductRow(arch="tc", variant=self._variant, config=self._config,
                             cols=self._cols, acc_width=self._acc_width,
                             hierarchy=self._hierarchy)
