"""The trim-and-round unit (TRU): an activation pair in, a packed pair word out."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import Config
from hdl.layouts import ActPair, PairWord
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
    in_valid : In(1)
        ``in_pair`` holds a pair this cycle.
    in_pair : In(ActPair)
        Activation codes ``x[2j]`` (element 0) and ``x[2j+1]``.
    out_valid : Out(1)
        ``out_word`` holds the word of the pair presented ``latency`` cycles
        earlier.
    out_word : Out(PairWord(config))
        The packed pair word (slot A in the LSBs).
    """

    def __init__(self, *, config):
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.sparq.Config, got {config!r}")
        self._config = config
        super().__init__({
            "in_valid": In(1),
            "in_pair": In(ActPair),
            "out_valid": Out(1),
            "out_word": Out(PairWord(config)),
        })

    @property
    def config(self) -> Config:
        return self._config

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
        zero_a, zero_b = Signal(), Signal()
        m.d.comb += [zero_a.eq(x0 == 0), zero_b.eq(x1 == 0)]
        with m.If(~zero_a & ~zero_b):
            m.d.comb += [word.a.data.eq(win_a.q), word.a.idx.eq(win_a.sel),
                         word.b.data.eq(win_b.q), word.b.idx.eq(win_b.sel)]
        with m.Elif(~zero_a):
            m.d.comb += [word.a.data.eq(lone_upper), word.a.idx.eq(lone_upper_idx),
                         word.b.data.eq(lone_lower), word.b.idx.eq(lone_lower_idx),
                         word.b.mux.eq(1)]
        with m.Elif(~zero_b):
            m.d.comb += [word.b.data.eq(lone_upper), word.b.idx.eq(lone_upper_idx),
                         word.a.data.eq(lone_lower), word.a.idx.eq(lone_lower_idx),
                         word.a.mux.eq(1)]

        m.d.sync += [self.out_word.eq(word), self.out_valid.eq(self.in_valid)]
        return m
