"""What every tensor-core dot-product unit shares: ``d = products + c``, registered."""

from amaranth import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.adder import AdderTree
from hdl.multiplier import Multiplier
from hdl.tc.params import check_acc_width

__all__ = ["DotProductUnit"]


class DotProductUnit(wiring.Component):
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
    in_valid : In(1)
        The operands are valid this cycle; ``out_d`` loads their result.
    in_b : In(ArrayLayout(signed(8), K_STEP))
        Weights.
    in_c : In(signed(acc_width))
        The third operand (partial sum).
    out_valid : Out(1)
        ``out_d`` holds the result of operands presented ``latency`` cycles earlier.
    out_d : Out(signed(acc_width))
        The registered, wrapped sum; held while ``in_valid`` is low.
    """

    #: Dense reduction-axis elements consumed per cycle; set by each variant.
    K_STEP: int

    def __init__(self, *, activations: dict, acc_width=32):
        self._acc_width = check_acc_width(acc_width)
        super().__init__({
            "in_valid": In(1),
            **activations,
            "in_b": In(data.ArrayLayout(signed(ACT_BITS), self.K_STEP)),
            "in_c": In(signed(self._acc_width)),
            "out_valid": Out(1),
            "out_d": Out(signed(self._acc_width)),
        })

    @property
    def acc_width(self) -> int:
        return self._acc_width

    @property
    def latency(self) -> int:
        """Cycles from ``in_valid`` to the matching ``out_valid``."""
        return 1

    def products(self, m: Module) -> list:
        """Add the multipliers to ``m``; return their signed products."""
        raise NotImplementedError

    def plain_products(self, m: Module, a_bits: int) -> list:
        """One :class:`~hdl.multiplier.Multiplier` per ``in_a[i] * in_b[i]``."""
        out = []
        for i in range(self.K_STEP):
            mult = m.submodules[f"mult_{i}"] = Multiplier(a_bits=a_bits, b_bits=ACT_BITS)
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
