"""A block of the systolic array: ``rows`` rows of ``cols`` PEs."""

from __future__ import annotations

from collections.abc import Callable

from amaranth import Cat, Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_int
from hdl.emit.hierarchy import Hierarchy, place, unused
from hdl.emit.naming import module_name
from hdl.sa.pe_base import Ctl
from hdl.sa.row import SystolicRow

__all__ = ["SystolicTile"]


class SystolicTile(wiring.Component):
    """``rows`` :class:`~hdl.sa.row.SystolicRow` stacked north to south.

    The array is a grid of tiles (like Gemmini's Tile in its Mesh), so the
    wires that cross module boundaries grow with the tiles' perimeter and not
    with the PE count: this is what keeps a 128x128 emission fast.  Inside, the
    weights move south and the drain links north from row to row; every row
    gets the same per-column ``drain_load`` and the bottom row reports ``done``.

    Parameters
    ----------
    make_row : callable
        Returns a new row of ``cols`` PEs.
    rows : int
        Rows in the tile, 1 or more.
    hierarchy : Hierarchy or None
        Instantiate the row module instead of flattening rows.

    Members
    -------
    in_act, out_act : In/Out(ArrayLayout(PE act shape, rows))
        Per row, at the west / east edge.
    in_ctl, out_ctl : In/Out(ArrayLayout(Ctl, rows))
    in_weight, out_weight : In/Out(row weight bus)
        North / south edge.
    drain_in, drain_out : In/Out(row drain bus)
        South / north edge.
    drain_load : In(cols)
    done : Out(cols)
        The bottom row's ``done``.
    """

    def __init__(self, *, make_row: Callable[[], SystolicRow], rows: int,
                 hierarchy: Hierarchy | None = None):
        self._make_row, self._rows = make_row, check_int("rows", rows, 1)
        self._hierarchy = hierarchy
        row = unused(make_row())
        self._row_module = row.module_name
        self._module = module_name("sa_tile", row.label, f"{rows}x{row.cols}",
                                   f"acc{row.acc_width}")
        members = row.signature.members
        acts = data.ArrayLayout(members["in_act"].shape, rows)
        ctls = data.ArrayLayout(Ctl, rows)
        super().__init__({
            "in_act": In(acts), "in_ctl": In(ctls), "out_act": Out(acts), "out_ctl": Out(ctls),
            "in_weight": In(members["in_weight"].shape),
            "out_weight": Out(members["in_weight"].shape),
            "drain_in": In(members["drain_in"].shape),
            "drain_out": Out(members["drain_in"].shape),
            "drain_load": In(members["drain_load"].shape),
            "done": Out(members["done"].shape),
        })

    @property
    def module_name(self) -> str:
        return self._module

    def elaborate(self, platform):
        m = Module()
        R = self._rows
        weights = [self.in_weight] + [Signal(len(Cat(self.in_weight)), name=f"weight_{i + 1}")
                                      for i in range(R - 1)] + [self.out_weight]
        drains = [self.drain_out] + [Signal(len(Cat(self.drain_out)), name=f"drain_{i + 1}")
                                     for i in range(R - 1)] + [self.drain_in]
        for i in range(R):
            place(m, f"row_{i}", self._make_row, self._hierarchy, {
                "in_act": self.in_act[i], "in_ctl": self.in_ctl[i],
                "out_act": self.out_act[i], "out_ctl": self.out_ctl[i],
                "in_weight": weights[i], "out_weight": weights[i + 1],
                "drain_in": drains[i + 1], "drain_out": drains[i],
                "drain_load": self.drain_load,
                **({"done": self.done} if i == R - 1 else {}),
            })
        return m
