"""One row of the systolic array: ``cols`` PEs chained west to east."""

from __future__ import annotations

from collections.abc import Callable

from amaranth import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_int
from hdl.emit.hierarchy import Hierarchy, place, unused
from hdl.emit.naming import module_name
from hdl.sa.pe_base import Ctl, SystolicPE

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
        Instantiate the PE module instead of flattening PEs.

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
                 hierarchy: Hierarchy | None = None):
        self._make_pe, self._cols = make_pe, check_int("cols", cols, 1)
        self._hierarchy = hierarchy
        pe = unused(make_pe())
        self._pe_module = pe.module_name
        members = pe.signature.members
        weights = data.ArrayLayout(members["in_weight"].shape, cols)
        drains = data.ArrayLayout(signed(pe.acc_width), cols)
        self._label, self._acc_width = pe.label, pe.acc_width
        self._module = module_name("sa_row", pe.label, f"c{cols}", f"acc{pe.acc_width}")
        super().__init__({
            "in_act": In(members["in_act"].shape), "in_ctl": In(Ctl),
            "out_act": Out(members["in_act"].shape), "out_ctl": Out(Ctl),
            "in_weight": In(weights), "out_weight": Out(weights),
            "drain_in": In(drains), "drain_out": Out(drains),
            "drain_load": In(cols), "done": Out(cols),
        })

    @property
    def module_name(self) -> str:
        return self._module

    @property
    def cols(self) -> int:
        return self._cols

    @property
    def label(self) -> str:
        """What the PEs compute (their configuration's or variant's name)."""
        return self._label

    @property
    def acc_width(self) -> int:
        return self._acc_width

    def elaborate(self, platform):
        m = Module()
        act, ctl = self.in_act, self.in_ctl
        for j in range(self._cols):
            pe = place(m, f"pe_{j}", self._make_pe, self._hierarchy, {
                "in_act": act, "in_ctl": ctl,
                "in_weight": self.in_weight[j], "out_weight": self.out_weight[j],
                "drain_in": self.drain_in[j], "drain_out": self.drain_out[j],
                "drain_load": self.drain_load[j], "done": self.done[j],
            })
            act, ctl = pe.out_act, pe.out_ctl
        m.d.comb += [self.out_act.eq(act), self.out_ctl.eq(ctl)]
        return m
