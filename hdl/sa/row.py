"""One row of the systolic array: ``cols`` PEs chained west to east."""

from __future__ import annotations

import numbers
from collections.abc import Callable

from amaranth import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hdl.sa.pe_base import Ctl, SystolicPE
from hdl.sa.stitch import Hierarchy, place, unused

__all__ = ["SystolicRow"]


class SystolicRow(wiring.Component):
    """``cols`` PEs; activations and control enter at the west PE and move east.

    Each PE's weights come from the north and leave to the south, and its
    drain link comes from the south and leaves to the north, so the row
    exposes one packed bus per direction, element ``j`` for column ``j``.

    Parameters
    ----------
    make_pe : callable
        Returns a new :class:`~hdl.sa.pe_base.SystolicPE` (all of one kind).
    cols : int
        PEs in the row, 1 or more.
    hierarchy : Hierarchy or None
        Instantiate the PE module ``pe_module`` instead of flattening PEs.
    pe_module : str or None
        Verilog name of the PE module (with ``hierarchy``).

    Members
    -------
    in_act : In(PE act shape)
    in_ctl : In(Ctl)
    out_act, out_ctl : Out
        What leaves the east PE (to the next tile).
    in_weight, out_weight : In/Out(ArrayLayout(PE weight shape, cols))
    drain_in, drain_out : In/Out(ArrayLayout(signed(acc_width), cols))
    drain_load : In(cols)
        Per column: load the PE's result into its drain link.
    done : Out(cols)
        Per column: the PE's ``done``.
    """

    def __init__(self, *, make_pe: Callable[[], SystolicPE], cols: int,
                 hierarchy: Hierarchy | None = None, pe_module: str | None = None):
        if isinstance(cols, bool) or not isinstance(cols, numbers.Integral) or cols < 1:
            raise ValueError(f"cols must be a positive int, got {cols!r}")
        if (hierarchy is None) != (pe_module is None):
            raise ValueError("hierarchy and pe_module go together")
        self._make_pe, self._cols = make_pe, int(cols)
        self._hierarchy, self._pe_module = hierarchy, pe_module
        pe = unused(make_pe())
        members = pe.signature.members
        weights = data.ArrayLayout(members["in_weight"].shape, cols)
        drains = data.ArrayLayout(signed(pe.acc_width), cols)
        super().__init__({
            "in_act": In(members["in_act"].shape), "in_ctl": In(Ctl),
            "out_act": Out(members["in_act"].shape), "out_ctl": Out(Ctl),
            "in_weight": In(weights), "out_weight": Out(weights),
            "drain_in": In(drains), "drain_out": Out(drains),
            "drain_load": In(cols), "done": Out(cols),
        })

    def elaborate(self, platform):
        m = Module()
        act, ctl = self.in_act, self.in_ctl
        for j in range(self._cols):
            pe = place(m, f"pe_{j}", self._make_pe, self._hierarchy, self._pe_module, {
                "in_act": act, "in_ctl": ctl,
                "in_weight": self.in_weight[j], "out_weight": self.out_weight[j],
                "drain_in": self.drain_in[j], "drain_out": self.drain_out[j],
                "drain_load": self.drain_load[j], "done": self.done[j],
            })
            act, ctl = pe.out_act, pe.out_ctl
        m.d.comb += [self.out_act.eq(act), self.out_ctl.eq(ctl)]
        return m
