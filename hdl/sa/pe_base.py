"""What every systolic-array PE variant shares: forwarding, partial sum, drain."""

from __future__ import annotations

import numpy as np
from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import Config, wrap
from hdl.adder import AdderTree
from hdl.checks import check_acc_width
from hdl.emit.naming import module_name
from hdl.variant import Variant

__all__ = ["Ctl", "SystolicPE"]

#: Control that travels east with the activations, one beat per cycle.
Ctl = data.StructLayout({"valid": unsigned(1), "first": unsigned(1), "last": unsigned(1)})


class SystolicPE(Variant, wiring.Component):
    """Output-stationary PE skeleton; a variant supplies :meth:`products`.

    Per cycle with ``in_ctl.valid``, the variant's products and the partial
    sum (zero on ``in_ctl.first``) go through one :class:`~hdl.adder.AdderTree`
    into ``acc_psum`` (wrapping at ``acc_width`` bits).  On ``in_ctl.last`` the
    same sum is also captured in ``acc_result``, so the next tile can start
    accumulating on the following cycle (double buffer).  ``drain_out`` is one
    link of a column shift chain towards the north edge: it loads
    ``acc_result`` when ``drain_load`` is high and otherwise takes
    ``drain_in`` (the PE to the south).  Activations, control and weights are
    forwarded east and south through one register each.

    Parameters
    ----------
    act_shape, weight_shape : shape-castable
        What one beat carries west-to-east and north-to-south.
    acc_width : int
        Partial-sum width, 8 to 64.

    Members
    -------
    clk : In(1)
        Clock of the ``sync`` domain; every register samples on its rising edge.
    rst : In(1)
        Synchronous reset, active high: clears every register of the PE to 0
        (the partial sum, the captured result, ``out_act``, ``out_ctl``,
        ``out_weight``, ``done`` and ``drain_out``).  Required before the
        first beat: until then ``out_ctl`` and ``done`` are unknown.
    in_act : In(act_shape)
        The beat's activations; the variant gives the packing.
    in_ctl : In(Ctl)
        3 bits, LSB first: ``valid`` (bit 0): this beat counts; ``first``
        (bit 1): start a new sum (the partial sum restarts from 0); ``last``
        (bit 2): the tile's final beat, capture the sum as the result (both
        ``first`` and ``last`` on a one-beat tile).  While ``valid`` is 0 the
        PE ignores ``first``, ``last``, ``in_act`` and ``in_weight`` (it still
        forwards them).
    in_weight : In(weight_shape)
        The beat's weights; the variant gives the packing.
    out_act : Out(act_shape)
        ``in_act``, registered: to the PE to the east.
    out_ctl : Out(Ctl)
        ``in_ctl``, registered: to the PE to the east.
    out_weight : Out(weight_shape)
        ``in_weight``, registered: to the PE to the south.
    drain_in : In(signed(acc_width))
        ``drain_out`` of the PE to the south (0 at the south edge).
    drain_load : In(1)
        ``drain_out`` takes the captured result on this edge; while 0 it
        takes ``drain_in``, so a column of PEs is a shift register towards the
        north edge.
    drain_out : Out(signed(acc_width))
        The drain chain register: the captured result (the sum up to the last
        ``last`` beat, wrapped to ``acc_width`` bits) one cycle after
        ``drain_load``, otherwise ``drain_in`` one cycle late.
    done : Out(1)
        ``in_ctl.valid & in_ctl.last``, registered: the captured result is
        new (it stays until the next ``last`` beat).
    """

    unit_name = "PE"

    @classmethod
    def effective_config(cls, config: Config | None) -> Config | None:
        """The configuration the arithmetic uses (SySMT has a fixed one)."""
        return config

    @classmethod
    def reference(cls, a, w, config: Config | None = None, acc_width: int = 32) -> np.ndarray:
        """The golden result ``A @ W`` of this variant, wrapped to ``acc_width``."""
        return wrap(np.asarray(a, np.int64) @ np.asarray(w, np.int64), acc_width)

    def __init__(self, *, act_shape, weight_shape, acc_width=32):
        acc_width = check_acc_width(acc_width)
        self._acc_width = acc_width
        super().__init__({
            "in_act": In(act_shape), "in_ctl": In(Ctl), "in_weight": In(weight_shape),
            "out_act": Out(act_shape), "out_ctl": Out(Ctl), "out_weight": Out(weight_shape),
            "drain_in": In(signed(acc_width)), "drain_load": In(1),
            "drain_out": Out(signed(acc_width)), "done": Out(1),
        })

    @property
    def acc_width(self) -> int:
        return self._acc_width

    @property
    def config(self) -> Config | None:
        """The configuration the arithmetic uses, or None."""
        return self.effective_config(getattr(self, "_config", None))

    @property
    def label(self) -> str:
        """What the PE computes: a configuration's name, or the variant's."""
        return self.config.name if self.config_rule else self.name

    @property
    def module_name(self) -> str:
        return module_name("sa_pe", self.label, f"acc{self._acc_width}")

    @property
    def latency(self) -> int:
        """Cycles from a beat at the inputs to its forwarded copy (and ``done``)."""
        return 1

    def products(self, m: Module) -> list:
        """Add the multipliers to ``m``; return their signed products."""
        raise NotImplementedError

    def elaborate(self, platform):
        m = Module()
        acc = self._acc_width
        acc_psum = Signal(signed(acc))
        acc_result = Signal(signed(acc))
        operands = self.products(m) + [Mux(self.in_ctl.first, 0, acc_psum)]
        # Each product enters the tree at its own width; the sum wraps at acc_width.
        m.submodules.adder = adder = AdderTree(count=len(operands),
                                               in_bits=[len(op) for op in operands],
                                               out_bits=acc)
        m.d.comb += [adder.operands[i].eq(op) for i, op in enumerate(operands)]

        with m.If(self.in_ctl.valid):
            m.d.sync += acc_psum.eq(adder.total)
            with m.If(self.in_ctl.last):
                m.d.sync += acc_result.eq(adder.total)
        m.d.sync += [
            self.out_act.eq(self.in_act), self.out_ctl.eq(self.in_ctl),
            self.out_weight.eq(self.in_weight),
            self.done.eq(self.in_ctl.valid & self.in_ctl.last),
            self.drain_out.eq(Mux(self.drain_load, acc_result, self.drain_in)),
        ]
        return m
