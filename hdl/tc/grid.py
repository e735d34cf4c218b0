"""The accumulation grid shared by the tensor-core arrays (a helper, not a component)."""

from amaranth import Mux

__all__ = ["ACC_FIRST_DOC", "accumulate_grid"]

#: How every array accumulates; quoted by the array docstrings.
ACC_FIRST_DOC = "first step: c = C, later steps: c = the unit's own previous d"


def accumulate_grid(m, dps, stage, out_valid, out_d):
    """Wire the ``c`` muxes, valid and outputs of a ``rows x cols`` grid of DP units.

    ``dps[r][n]`` are the units, already given their operands; ``stage`` holds
    the control signals (``valid``, ``first``, ``last``) and ``c`` aligned with
    the DP stage.  Each unit's output register is its accumulator: on the
    first step of a sweep ``c`` is the tile's C, then the unit's own ``d``.
    """
    for r, row in enumerate(dps):
        for n, dp in enumerate(row):
            m.d.comb += [dp.in_valid.eq(stage["valid"]),
                         dp.in_c.eq(Mux(stage["first"], stage["c"][r][n], dp.out_d)),
                         out_d[r][n].eq(dp.out_d)]
    m.d.sync += out_valid.eq(stage["valid"] & stage["last"])
