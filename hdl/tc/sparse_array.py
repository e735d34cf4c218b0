"""The 2:4 sparse tensor core: an M x N grid of sparse DP units, D = A x B + C."""

from amaranth import signed, unsigned
from amaranth.lib import data
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.tc.core import TensorCoreBase
from hdl.tc.group_select import POSITION_BITS

__all__ = ["SparseTensorCore"]


class SparseTensorCore(TensorCoreBase):
    """``D = A x B + C`` with 2:4 sparse B arriving compressed, k_step dense K a cycle.

    Rows of cells (:class:`~hdl.tc.row.DotProductRow`); each cell ``(r, n)``
    has a :class:`SparseSelect` (its selection muxes
    depend on column ``n``'s weight positions; for SPARQ also its own TRUs,
    SPARQ.md sections 5 and 7) and a DP unit whose output register
    accumulates ``D[r][n]``.  Skipping the zero weights doubles the dense K
    rate of the tensor core: ``"8b8b"`` consumes k_step = 8 dense K (4
    non-zero weights) a cycle, ``latency`` 1; ``"sparq"`` k_step = 16 (8
    weight slots), ``latency`` 2 (values, here once for all rows, C and
    control, in the rows, wait for the TRUs in ``s1_*`` registers).  Protocol as
    :class:`hdl.tc.array.TensorCore`: a
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
        This cycle is a step: one K slice of A and of the compressed B is
        presented.  While it is low the array ignores every other input.
    in_first : In(1)
        The step is the first of its sweep over K: the accumulators start from
        ``in_c``.
    in_last : In(1)
        The step is the last of its sweep: ``out_valid`` follows ``latency``
        cycles later.  A step may be both first and last.
    in_a : In(ArrayLayout(ArrayLayout(unsigned(8), k_step), rows))
        ``in_a[r][k] = A[r][k0 + k]`` (dense; ``k0`` a multiple of k_step) at
        bits ``[(r*k_step + k)*8 +: 8]``: the row index ``r`` is outer.  Group
        ``g`` of a row is ``in_a[r][4g .. 4g+3]``.
    in_values : In(ArrayLayout(ArrayLayout(signed(8), k_step / 2), cols))
        ``in_values[n][i] = values[k0/2 + i][n]`` of
        :func:`golden.sparq.compress_2to4` (B), at bits ``[(n*k_step/2 + i)*8
        +: 8]`` (the column index ``n`` outer).  Slots ``2g`` and ``2g+1`` of
        column ``n`` hold the non-zero weights of group ``g``; each multiplies
        the activation ``in_a[r][4g + in_positions[n][i]]``.  A slot whose
        value is 0 selects nothing and its position is ignored (so spare slots
        are value 0, any position); the order of a group's two slots does not
        matter (``compress_2to4`` writes them in ascending position order, a
        spare as value 0 at position 0).  Two non-zero values of one group must
        not share a position.
    in_positions : In(ArrayLayout(ArrayLayout(unsigned(2), k_step / 2), cols))
        ``in_positions[n][i]``, the place (0..3) of ``in_values[n][i]`` inside
        its group, at bits ``[(n*k_step/2 + i)*2 +: 2]``.
    in_c : In(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
        ``in_c[r][n] = C[r][n]`` at bits ``[(r*cols + n)*acc_width +:
        acc_width]`` (row index outer); sampled on ``in_first`` steps only.
    out_valid : Out(1)
        ``out_d`` holds a finished tile for one cycle, ``latency`` cycles after
        the ``in_last`` step.
    out_d : Out(ArrayLayout(ArrayLayout(signed(acc_width), cols), rows))
        ``out_d[r][n] = D[r][n]``, packed like ``in_c``, wrapped to
        ``acc_width`` bits; only meaningful with ``out_valid``.
    """

    arch, weight_port, shared_ports = "stc", "in_values", ("in_values", "in_positions")

    def __init__(self, *, variant="sparq", config=None, rows=4, cols=4, acc_width=32,
                 hierarchy=None):
        def members(k):
            tile = data.ArrayLayout(data.ArrayLayout(signed(acc_width), cols), rows)
            return {
                "in_valid": In(1), "in_first": In(1), "in_last": In(1),
                "in_a": In(data.ArrayLayout(data.ArrayLayout(unsigned(ACT_BITS), k), rows)),
                "in_values": In(data.ArrayLayout(data.ArrayLayout(signed(ACT_BITS), k // 2), cols)),
                "in_positions": In(data.ArrayLayout(
                    data.ArrayLayout(unsigned(POSITION_BITS), k // 2), cols)),
                "in_c": In(tile),
                "out_valid": Out(1),
                "out_d": Out(tile),
            }

        super().__init__(variant=variant, config=config, rows=rows, cols=cols,
                         acc_width=acc_width, hierarchy=hierarchy, members=members)
