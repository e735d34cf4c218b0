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
