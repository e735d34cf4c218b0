"""The baseline tensor-core dot-product unit: 4 products of 8b x 8b plus ``c``."""

from amaranth import unsigned
from amaranth.lib import data
from amaranth.lib.wiring import In

from golden.sparq import ACT_BITS
from hdl.tc.dp_base import DotProductUnit

__all__ = ["BaselineDotProduct"]


class BaselineDotProduct(DotProductUnit):
    """``d = a . b + c`` over 4 activation/weight pairs, after Raihan et al.

    Four 8-bit unsigned x 8-bit signed :class:`~hdl.multiplier.Multiplier` s
    feed one :class:`~hdl.adder.AdderTree` together with ``c``; output rule
    and the common members as in :class:`~hdl.tc.dp_base.DotProductUnit`.

    Parameters
    ----------
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    in_a : In(ArrayLayout(unsigned(8), 4))
        4 activation codes: ``a[k]`` in bits ``[8k +: 8]`` (element 0 in the
        LSBs), multiplied by ``in_b[k]``.
    (the rest as in :class:`~hdl.tc.dp_base.DotProductUnit`)
    """

    name, title, k_step = "8b8b", "8b-8b", 4

    def __init__(self, *, acc_width=32):
        super().__init__(activations={"in_a": In(data.ArrayLayout(unsigned(ACT_BITS),
                                                                   self.k_step))},
                         acc_width=acc_width)

    def products(self, m):
        return self.plain_products(m)
