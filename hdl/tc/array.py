"""The tensor core: an M x N grid of dot-product units, D = A x B + C."""

from amaranth import signed, unsigned
from amaranth.lib import data
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.tc.core import TensorCoreBase

__all__ = ["TensorCore"]


class TensorCore(TensorCoreBase):
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
    clk : In(1)
        Clock of the ``sync`` domain; every register samples on its rising edge.
    rst : In(1)
        Synchronous reset, active high: clears the accumulators (``out_d``) and
        ``out_valid``, and for SPARQ the trim-and-round units and the valid bits
        of the front stage (``s1_valid``); every step in flight is dropped.
        SPARQ's front-stage data registers (``s1_first``, ``s1_c``, ``s1_b``,
        ``s1_last``) are not reset: they are only read beside a valid bit.
        Required before the first step: until then ``out_valid`` is unknown.
    in_valid : In(1)
        This cycle is a step: one K slice of A and B is presented.  While it is
        low the array ignores ``in_a``, ``in_b``, ``in_c``, ``in_first`` and
        ``in_last``.
    in_first : In(1)
        The step is the first of its sweep over K: the accumulators start from
        ``in_c``.
    in_last : In(1)
        The step is the last of its sweep: ``out_valid`` follows ``latency``
        cycles later.  A step may be both first and last.
    in_a : In(ArrayLayout(ArrayLayout(unsigned(8), k_step), rows))
        ``in_a[r][k] = A[r][k0 + k]``, the activation codes of the step's K
        slice, at bits ``[(r*k_step + k)*8 +: 8]``: the row index ``r`` is outer
        (more significant bits), row 0 and ``k = 0`` in the LSBs.
    in_b : In(ArrayLayout(ArrayLayout(signed(8), k_step), cols))
        ``in_b[n][k] = B[k0 + k][n]``, column ``n`` of the step's weight slice,
        at bits ``[(n*k_step + k)*8 +: 8]`` (the column index ``n`` outer).
    in_c : In(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
        ``in_c[r][n] = C[r][n]`` at bits ``[(r*cols + n)*acc_width +:
        acc_width]`` (row index outer); sampled on ``in_first`` steps only.
    out_valid : Out(1)
        ``out_d`` holds a finished tile (one cycle, ``latency`` cycles after
        the ``in_last`` step).
    out_d : Out(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
        ``out_d[r][n] = D[r][n]``, packed like ``in_c``, wrapped to
        ``acc_width`` bits (the accumulators; only meaningful with
        ``out_valid``).
    """

    arch, weight_port, shared_ports = "tc", "in_b", ()

    def __init__(self, *, variant="sparq", config=None, rows=4, cols=4, acc_width=32,
                 hierarchy=None):
        def members(k):
            return {
                "in_valid": In(1), "in_first": In(1), "in_last": In(1),
                "in_a": In(data.ArrayLayout(data.ArrayLayout(unsigned(ACT_BITS), k), rows)),
                "in_b": In(data.ArrayLayout(data.ArrayLayout(signed(ACT_BITS), k), cols)),
                "in_c": In(data.ArrayLayout(data.ArrayLayout(signed(acc_width), cols), rows)),
                "out_valid": Out(1),
                "out_d": Out(data.ArrayLayout(data.ArrayLayout(signed(acc_width), cols), rows)),
            }

        super().__init__(variant=variant, config=config, rows=rows, cols=cols,
                         acc_width=acc_width, hierarchy=hierarchy, members=members)
