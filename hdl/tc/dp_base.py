"""What every tensor-core dot-product unit shares: ``d = products + c``, registered."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from amaranth import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS, Config, matmul, wrap
from hdl.adder import AdderTree
from hdl.checks import check_acc_width
from hdl.emit.naming import module_name
from hdl.multiplier import Multiplier
from hdl.variant import Variant

__all__ = ["DotProductUnit"]


class DotProductUnit(Variant, wiring.Component):
    """Shell of a dot-product unit; a variant supplies its activation port and :meth:`products`.

    The variant's products and ``c`` go through one :class:`~hdl.adder.AdderTree`
    (each product at its own width, ``c`` at ``acc_width``); the sum wraps to
    ``acc_width`` bits (like :func:`golden.sparq.wrap`) and is registered.  The
    register only loads on ``in_valid``, so a tensor core can use it as its
    accumulator.  Every variant follows this output rule, so areas compare
    fairly.  ``latency`` is 1 cycle.

    Parameters
    ----------
    activations : dict
        The variant's activation member(s), e.g. ``{"in_a": In(...)}``.
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    clk : In(1)
        Clock of the ``sync`` domain; every register samples on its rising edge.
    rst : In(1)
        Synchronous reset, active high: clears ``out_d`` and ``out_valid`` (the
        unit's only registers) to 0.  Required before the first operands: until
        then ``out_valid`` is unknown.
    in_valid : In(1)
        The operands are valid this cycle; ``out_d`` loads their result on this
        edge.  While it is low the unit ignores every other input.
    in_b : In(ArrayLayout(signed(8), k_step))
        ``k_step`` weights, two's complement: ``b[k]`` in bits ``[8k +: 8]``
        (element 0 in the LSBs).
    in_c : In(signed(acc_width))
        The third operand (partial sum), two's complement.
    out_valid : Out(1)
        ``out_d`` holds the result of operands presented ``latency`` cycles
        earlier (``in_valid`` one cycle later).
    out_d : Out(signed(acc_width))
        ``a . b + c`` of the last operands presented with ``in_valid``,
        registered and wrapped to ``acc_width`` bits; held while ``in_valid`` is
        low.
    """

    unit_name = "dot-product unit"
    #: The tensor-core arrays (dense and 2:4 sparse) are built from this variant.
    in_arrays: ClassVar[bool] = True

    @classmethod
    def product(cls, a, w, config: Config | None = None, stc: bool = False) -> np.ndarray:
        """``A @ W`` as this variant computes it, not wrapped (int64)."""
        if cls.config_rule is None:
            return np.asarray(a, np.int64) @ np.asarray(w, np.int64)
        return matmul(a, w, config, stc=stc, acc_width=64)

    @classmethod
    def reference(cls, a, w, c, config: Config | None = None, acc_width: int = 32,
                  stc: bool = False) -> np.ndarray:
        """The golden ``D = A @ W + C``, wrapped to ``acc_width``."""
        return wrap(cls.product(a, w, config, stc) + np.asarray(c, np.int64), acc_width)

    def __init__(self, *, activations: dict, acc_width=32):
        self._acc_width = check_acc_width(acc_width)
        super().__init__({
            "in_valid": In(1),
            **activations,
            "in_b": In(data.ArrayLayout(signed(ACT_BITS), self.k_step)),
            "in_c": In(signed(self._acc_width)),
            "out_valid": Out(1),
            "out_d": Out(signed(self._acc_width)),
        })

    @property
    def acc_width(self) -> int:
        return self._acc_width

    @property
    def config(self) -> Config | None:
        return getattr(self, "_config", None)

    @property
    def label(self) -> str:
        return self.config.name if self.config_rule else self.name

    @property
    def module_name(self) -> str:
        return module_name("tc_dp", self.label, f"acc{self._acc_width}")

    @property
    def latency(self) -> int:
        """Cycles from ``in_valid`` to the matching ``out_valid``."""
        return 1

    def products(self, m: Module) -> list:
        """Add the multipliers to ``m``; return their signed products."""
        raise NotImplementedError

    def plain_products(self, m: Module) -> list:
        """One :class:`~hdl.multiplier.Multiplier` per ``in_a[i] * in_b[i]``."""
        out = []
        for i in range(self.k_step):
            mult = m.submodules[f"mult_{i}"] = Multiplier(a_bits=self.act_bits, b_bits=ACT_BITS)
            m.d.comb += [mult.a.eq(self.in_a[i]), mult.b.eq(self.in_b[i])]
            out.append(mult.product)
        return out

    def elaborate(self, platform):
        m = Module()
        operands = self.products(m) + [self.in_c]
        m.submodules.tree = tree = AdderTree(count=len(operands),
                                             in_bits=[len(op) for op in operands],
                                             out_bits=self._acc_width)
        m.d.comb += [tree.operands[i].eq(op) for i, op in enumerate(operands)]
        with m.If(self.in_valid):
            m.d.sync += self.out_d.eq(tree.total)
        m.d.sync += self.out_valid.eq(self.in_valid)
        return m
