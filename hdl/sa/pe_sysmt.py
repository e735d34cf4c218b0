"""The SySMT-style PE: raw 8-bit activation pairs, trimmed inside every PE."""

from amaranth import Signal

from golden.sparq import Config, matmul
from hdl.layouts import ActPair, PairWord
from hdl.sa.pe_base import SystolicPE
from hdl.slot_mult import TwoSlotMultiplier, WeightPair
from hdl.slots import fill_word
from hdl.window import Window

__all__ = ["SysmtPE", "SYSMT_CONFIG"]

#: SySMT keeps the upper or the lower 4 bits of each value (2opt), without rounding;
#: a value whose partner is zero keeps all 8 bits.
SYSMT_CONFIG = Config.preset(2, rounding=False)


class SysmtPE(SystolicPE):
    """Shomron and Weiser's SySMT: 2opt trimming at full rate in every PE.

    The pair of raw 8-bit activations moves east through the array (16 bits a
    cycle instead of SPARQ's packed word) and each PE trims it itself: two
    4-bit windows at shift 0 or 4 (:class:`~hdl.window.Window`, no rounding)
    and the exact 8-bit split of a lone value.  The resulting slots feed the
    same :class:`~hdl.slot_mult.TwoSlotMultiplier` as SPARQ, so its result is
    ``golden.sparq.matmul`` with the ``2opt-trim`` configuration.  SySMT does
    no rounding: a value whose partner is non-zero keeps its upper nibble
    (bits 7:4, when any is set) or its lower nibble, and the bits below the
    window are dropped; ``--no-round`` and the configuration options do not
    apply.

    Parameters
    ----------
    acc_width : int
        Partial-sum width (default 32).

    Members
    -------
    in_act : In(ActPair)
        16 bits: the raw activation codes ``x[2j]`` in bits 7:0 and
        ``x[2j+1]`` in bits 15:8.
    in_weight : In(WeightPair)
        16 bits: ``w[2j]`` in bits 7:0 and ``w[2j+1]`` in bits 15:8.
    (the rest as in :class:`~hdl.sa.pe_base.SystolicPE`)
    """

    name, title, k_step = "sysmt", "SySMT", 2

    @classmethod
    def effective_config(cls, config=None):
        return SYSMT_CONFIG

    @classmethod
    def reference(cls, a, w, config=None, acc_width=32):
        return matmul(a, w, SYSMT_CONFIG, acc_width=acc_width)

    def __init__(self, *, acc_width=32):
        super().__init__(act_shape=ActPair, weight_shape=WeightPair, acc_width=acc_width)

    def products(self, m):
        cfg, n = SYSMT_CONFIG, SYSMT_CONFIG.bits
        x0, x1 = self.in_act[0], self.in_act[1]
        trim_word = Signal(PairWord(cfg))
        m.submodules.win_0 = win_0 = Window(bits=n, shifts=cfg.shifts, rounding=False)
        m.submodules.win_1 = win_1 = Window(bits=n, shifts=cfg.shifts, rounding=False)
        m.d.comb += [win_0.x.eq(x0), win_1.x.eq(x1)]
        # A lone value is exact: upper nibble at shift 4, lower nibble at shift 0.
        lone = x0 | x1
        fill_word(m, trim_word, x0, x1, a=(win_0.q, win_0.sel), b=(win_1.q, win_1.sel),
                  upper=(lone[n:], cfg.shift_index(n)), lower=(lone[:n], cfg.shift_index(0)))
        m.submodules.slot_mult = mult = TwoSlotMultiplier(config=cfg)
        m.d.comb += [mult.word.eq(trim_word), mult.weights.eq(self.in_weight)]
        return [mult.prod_a, mult.prod_b]
