"""The 8b-8b baseline PE: one 8-bit activation and one 8-bit weight a cycle."""

from amaranth import signed, unsigned

from golden.sparq import ACT_BITS
from hdl.multiplier import Multiplier
from hdl.sa.pe_base import SystolicPE

__all__ = ["PE8b8b"]


class PE8b8b(SystolicPE):
    """Conventional output-stationary PE: ``psum += x * w``.

    Parameters
    ----------
    acc_width : int
        Partial-sum width (default 32).

    Members
    -------
    in_act : In(unsigned(8))
        The activation code ``x[k]`` (0..255).
    in_weight : In(signed(8))
        The weight ``w[k]``, two's complement.
    (the rest as in :class:`~hdl.sa.pe_base.SystolicPE`)
    """

    name, title, k_step = "8b8b", "8b-8b", 1

    def __init__(self, *, acc_width=32):
        super().__init__(act_shape=unsigned(ACT_BITS), weight_shape=signed(ACT_BITS),
                         acc_width=acc_width)

    def products(self, m):
        m.submodules.mult = mult = Multiplier(a_bits=ACT_BITS, b_bits=ACT_BITS)
        m.d.comb += [mult.a.eq(self.in_act), mult.b.eq(self.in_weight)]
        return [mult.product]
