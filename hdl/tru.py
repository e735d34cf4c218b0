"""The trim-and-round unit (TRU): an activation pair in, a packed pair word out."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.checks import check_config
from hdl.emit.naming import module_name
from hdl.layouts import ActPair, PairWord
from hdl.slots import fill_word
from hdl.window import Window

__all__ = ["TrimRoundUnit"]


class TrimRoundUnit(wiring.Component):
    """vSPARQ + bSPARQ on one activation pair a cycle (SPARQ.md sections 3, 4, 6).

    Two n-bit windows (one per activation) and one 2n-bit window for a lone
    value run in parallel.  The lone window is fed ``x0 | x1``: it only
    matters when one of the two is zero, so a single window serves both
    cases.  A zero detector per activation then chooses how the slots are
    filled.  The word is registered: ``latency`` is 1 cycle.

    Parameters
    ----------
    config : golden.sparq.Config
        Data bits, allowed shifts and rounding.

    Members
    -------
    clk : In(1)
        Clock of the ``sync`` domain; every register samples on its rising edge.
    rst : In(1)
        Synchronous reset, active high: clears ``out_valid`` and ``out_word``
        (the unit's only registers) to 0.  Required before the first pair:
        until then ``out_valid`` is unknown.
    in_valid : In(1)
        ``in_pair`` holds a pair this cycle.  Only ``out_valid`` follows it:
        ``out_word`` registers the word of ``in_pair`` on every edge.
    in_pair : In(ActPair)
        Two 8-bit activation codes: ``x[2j]`` (element 0) in bits 7:0 and
        ``x[2j+1]`` in bits 15:8.
    out_valid : Out(1)
        ``in_valid``, ``latency`` (1) cycles later: ``out_word`` holds the
        word of a pair.
    out_word : Out(PairWord(config))
        The packed pair word of the pair presented ``latency`` cycles earlier,
        bit for bit :func:`golden.sparq.encode`: slot A in the LSBs, then slot
        B; inside a slot ``data`` (``bits`` wide), then ``idx`` (``idx_bits``),
        then ``mux`` (1 bit), LSB first.  ``word_width`` bits (16 for 5opt).
    """

    def __init__(self, *, config):
        self._config = check_config(config)
        super().__init__({
            "in_valid": In(1),
            "in_pair": In(ActPair),
            "out_valid": Out(1),
            "out_word": Out(PairWord(config)),
        })

    @property
    def config(self):
        return self._config

    @property
    def module_name(self) -> str:
        return module_name("tru", self._config)

    @property
    def latency(self) -> int:
        """Cycles from ``in_valid`` to the matching ``out_valid``."""
        return 1

    def elaborate(self, platform):
        m = Module()
        cfg, n = self._config, self._config.bits
        x0, x1 = self.in_pair[0], self.in_pair[1]

        m.submodules.win_a = win_a = Window(bits=n, shifts=cfg.shifts, rounding=cfg.rounding)
        m.submodules.win_b = win_b = Window(bits=n, shifts=cfg.shifts, rounding=cfg.rounding)
        m.submodules.win_lone = win_lone = Window(bits=2 * n, shifts=cfg.lone_shifts,
                                                  rounding=cfg.rounding)
        m.d.comb += [win_a.x.eq(x0), win_b.x.eq(x1), win_lone.x.eq(x0 | x1)]

        # The lone window splits into an upper slot at t+n and a lower slot at t.
        lone_upper, lone_lower = win_lone.q[n:], win_lone.q[:n]
        lone_upper_idx = Signal.like(self.out_word.a.idx)
        lone_lower_idx = Signal.like(self.out_word.a.idx)
        with m.Switch(win_lone.sel):
            for j, t in enumerate(cfg.lone_shifts):
                with m.Case(j):
                    m.d.comb += [lone_upper_idx.eq(cfg.shift_index(t + n)),
                                 lone_lower_idx.eq(cfg.shift_index(t))]

        word = Signal(PairWord(cfg))
        fill_word(m, word, x0, x1, a=(win_a.q, win_a.sel), b=(win_b.q, win_b.sel),
                  upper=(lone_upper, lone_upper_idx), lower=(lone_lower, lone_lower_idx))

        m.d.sync += [self.out_word.eq(word), self.out_valid.eq(self.in_valid)]
        return m
