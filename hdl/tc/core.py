"""What the tensor core and the sparse tensor core share: rows of DP units and the sweep control."""

from __future__ import annotations

from typing import ClassVar

from amaranth import Module
from amaranth.lib import wiring

from hdl.checks import check_acc_width, check_config, check_int, width_of
from hdl.emit.hierarchy import Hierarchy, unused
from hdl.emit.naming import module_name
from hdl.emit.structural import Instance, Plan, Ref, place_plan, structural_verilog
from hdl.tc.params import SweepTiming
from hdl.tc.row import DotProductRow
from hdl.tc.sweep import SweepControl
from hdl.tc.variants import STC_DENSITY, dp_class

__all__ = ["TensorCoreBase"]


class TensorCoreBase(SweepTiming, wiring.Component):
    """``rows`` :class:`~hdl.tc.row.DotProductRow` s and one :class:`~hdl.tc.sweep.SweepControl`.

    The top is only wiring (a :class:`~hdl.emit.structural.Plan`): row ``r``
    takes slice ``r`` of ``in_a``, ``in_c`` and ``out_d``; every row takes the
    weights at the DP stage from the sweep control (and, for the STC, the
    compressed weights as they arrive, for its selection muxes).  So the
    emitted top is plain structural Verilog, and tiles of any size emit.
    A subclass supplies :attr:`arch`, :attr:`weight_port` and its signature.
    """

    #: ``"tc"`` or ``"stc"``; the port whose bits reach the DP units as weights.
    arch: ClassVar[str]
    weight_port: ClassVar[str]
    #: Ports every row takes whole, besides the control and the weights.
    shared_ports: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, variant, config, rows, cols, acc_width, hierarchy, members):
        self._dp = dp_class(variant, arrays=True)
        self._variant = variant
        self._hierarchy = hierarchy
        self._config = check_config(config) if self._dp.config_rule else None
        if self._config is None and config is not None:
            raise ValueError(f"the {variant} array takes no SPARQ configuration")
        self._rows, self._cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
        self._acc_width = check_acc_width(acc_width)
        super().__init__(members(self.k_step))

    @property
    def dp_class(self):
        """The DP unit variant (its class, with ``k_step``, ``reference`` and the rest)."""
        return self._dp

    @property
    def config(self):
        return self._config

    @property
    def k_step(self) -> int:
        """Dense K elements consumed per step (per cycle); a 2:4 sparse array covers twice
        its DP units' weight slots."""
        return self._dp.k_step * (STC_DENSITY if self.arch == "stc" else 1)

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def cols(self) -> int:
        return self._cols

    @property
    def acc_width(self) -> int:
        return self._acc_width

    @property
    def module_name(self) -> str:
        return module_name(f"{self.arch}_array", self._config or self._variant,
                           f"{self._rows}x{self._cols}", f"acc{self._acc_width}")

    def _make_row(self):
        return DotProductRow(arch=self.arch, variant=self._variant, config=self._config,
                             cols=self._cols, acc_width=self._acc_width,
                             hierarchy=self._hierarchy)

    def plan(self) -> Plan:
        """The top's wiring: the sweep control and the rows, with the slices they take."""
        members = self.signature.members
        widths = {name: width_of(member.shape) for name, member in members.items()}
        ports = {name: ("in" if member.flow == wiring.In else "out", widths[name])
                 for name, member in members.items()}
        b_width = widths[self.weight_port]
        ctrl = Instance("sweep", lambda: SweepControl(width=b_width, delay=self.front_latency), {
            "in_valid": Ref("in_valid", 0, 1), "in_last": Ref("in_last", 0, 1),
            "in_b": Ref(self.weight_port, 0, b_width), "out_b": Ref("dp_weights", 0, b_width),
            "out_valid": Ref("out_valid", 0, 1)})
        a_width, c_width = widths["in_a"] // self._rows, widths["in_c"] // self._rows
        rows = [Instance(f"row_{r}", self._make_row, {
            "in_valid": Ref("in_valid", 0, 1), "in_first": Ref("in_first", 0, 1),
            "in_a": Ref("in_a", r * a_width, a_width), "in_b": Ref("dp_weights", 0, b_width),
            **{name: Ref(name, 0, widths[name]) for name in self.shared_ports},
            "in_c": Ref("in_c", r * c_width, c_width),
            "out_d": Ref("out_d", r * c_width, c_width)}) for r in range(self._rows)]
        return Plan(ports=ports, wires={"dp_weights": b_width}, instances=[ctrl, *rows])

    def elaborate(self, platform):
        m = Module()
        place_plan(m, self.plan(), self, self._hierarchy)
        return m

    def emit(self, hierarchy: Hierarchy) -> dict[str, str]:
        """Verilog by module name: the rows and units through ``hierarchy``, the top as wiring."""
        if hierarchy is not self._hierarchy:
            raise ValueError("emit() needs the hierarchy the array was built with")
        unused(self)            # the top is written as wiring, not elaborated
        text = structural_verilog(self.module_name, self.plan(), hierarchy)
        return hierarchy.convert_structural(self.module_name, text)
