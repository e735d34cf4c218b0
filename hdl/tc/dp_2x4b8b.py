"""The ideal 4-bit reference dot-product unit: 8 products of 4b x 8b plus ``c``."""

from amaranth import unsigned
from amaranth.lib import data
from amaranth.lib.wiring import In

from hdl.tc.dp_base import DotProductUnit

__all__ = ["Reference4bDotProduct", "REF_ACT_BITS"]

#: Width of a reference activation.
REF_ACT_BITS = 4


class Reference4bDotProduct(DotProductUnit):
    """``d = a . b + c`` over 8 pairs of 4-bit activations and 8-bit weights.

    The paper's "2x4b-8b" reference: each 8b-8b multiplier of the baseline
    becomes two independent 4b x 8b :class:`~hdl.multiplier.Multiplier` s
    (with no windows, shifts or muxes), and all 8 products plus ``c`` go
    through one :class:`~hdl.adder.AdderTree`.

    Parameters
    ----------
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    in_a : In(ArrayLayout(unsigned(4), 8))
        8 activation codes of 4 bits (0..15): ``a[k]`` in bits ``[4k +: 4]``
        (``a[2j]`` in bits 3:0 of byte ``j``, ``a[2j+1]`` in bits 7:4),
        multiplied by ``in_b[k]``.
    (the rest as in :class:`~hdl.tc.dp_base.DotProductUnit`)
    """

    name, title, k_step, act_bits = "2x4b8b", "2x4b-8b", 8, REF_ACT_BITS
    #: The paper compares it as a unit; no array is built from it.
    in_arrays = False

    def __init__(self, *, acc_width=32):
        super().__init__(
            activations={"in_a": In(data.ArrayLayout(unsigned(REF_ACT_BITS), self.k_step))},
            acc_width=acc_width)

    def products(self, m):
        return self.plain_products(m)
