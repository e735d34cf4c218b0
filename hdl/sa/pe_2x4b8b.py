"""The 2x4b-8b reference PE: two independent 4-bit x 8-bit products a cycle."""

from amaranth import unsigned
from amaranth.lib import data

from golden.sparq import ACT_BITS
from hdl.multiplier import Multiplier
from hdl.sa.pe_base import SystolicPE
from hdl.slot_mult import WeightPair

__all__ = ["PE2x4b8b", "Act4Pair", "ACT4_BITS"]

ACT4_BITS = 4
#: Two 4-bit activations ``x[2j]`` (element 0, bits 3:0) and ``x[2j+1]`` (bits 7:4).
Act4Pair = data.ArrayLayout(unsigned(ACT4_BITS), 2)


class PE2x4b8b(SystolicPE):
    """The paper's ideal 4-bit reference: ``psum += x0 * w0 + x1 * w1``, 4-bit ``x``.

    Parameters
    ----------
    acc_width : int
        Partial-sum width (default 32).

    Members
    -------
    in_act : In(Act4Pair)
        8 bits: two 4-bit activation codes (0..15), ``x[2j]`` in bits 3:0 and
        ``x[2j+1]`` in bits 7:4.
    in_weight : In(WeightPair)
        16 bits: ``w[2j]`` in bits 7:0 and ``w[2j+1]`` in bits 15:8.
    (the rest as in :class:`~hdl.sa.pe_base.SystolicPE`)
    """

    name, title, k_step, act_bits = "2x4b8b", "2x4b-8b", 2, ACT4_BITS

    def __init__(self, *, acc_width=32):
        super().__init__(act_shape=Act4Pair, weight_shape=WeightPair, acc_width=acc_width)

    def products(self, m):
        products = []
        for i in range(2):
            mult = m.submodules[f"mult_{i}"] = Multiplier(a_bits=ACT4_BITS, b_bits=ACT_BITS)
            m.d.comb += [mult.a.eq(self.in_act[i]), mult.b.eq(self.in_weight[i])]
            products.append(mult.product)
        return products
