"""The SPARQ PE: a packed pair word and two weights a cycle."""

from golden.sparq import matmul
from hdl.checks import check_config
from hdl.layouts import PairWord
from hdl.sa.pe_base import SystolicPE
from hdl.slot_mult import TwoSlotMultiplier, WeightPair

__all__ = ["SparqPE"]


class SparqPE(SystolicPE):
    """``psum += (A.data * w_A) << S[A.idx] + (B.data * w_B) << S[B.idx]``.

    The pair word comes from the row's trim-and-round unit at the array edge
    (SPARQ.md section 7), so the PE holds no trimming logic: the weight muxes,
    two n-bit x 8-bit multipliers and shifts of
    :class:`~hdl.slot_mult.TwoSlotMultiplier`, and one adder tree for both
    shifted products and the partial sum.

    Parameters
    ----------
    config : golden.sparq.Config
    acc_width : int
        Partial-sum width (default 32).

    Members
    -------
    in_act : In(PairWord(config))
        The packed pair word of ``x[2j]`` and ``x[2j+1]``
        (:func:`golden.sparq.encode`; ``word_width`` bits, 16 for 5opt): slot A
        in the LSBs, then slot B; inside a slot ``data``, ``idx``, ``mux``,
        LSB first.
    in_weight : In(WeightPair)
        16 bits: ``w[2j]`` in bits 7:0 and ``w[2j+1]`` in bits 15:8.
    (the rest as in :class:`~hdl.sa.pe_base.SystolicPE`)
    """

    name, title, k_step, takes_words, config_rule = "sparq", "SPARQ", 2, True, "required"

    @classmethod
    def reference(cls, a, w, config=None, acc_width=32):
        return matmul(a, w, check_config(config), acc_width=acc_width)

    def __init__(self, *, config, acc_width=32):
        self._config = check_config(config)
        super().__init__(act_shape=PairWord(config), weight_shape=WeightPair,
                         acc_width=acc_width)

    def products(self, m):
        m.submodules.slot_mult = mult = TwoSlotMultiplier(config=self._config)
        m.d.comb += [mult.word.eq(self.in_act), mult.weights.eq(self.in_weight)]
        return [mult.prod_a, mult.prod_b]
