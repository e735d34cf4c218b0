"""cocotb bench of the GEMM runner: play the host's tiles through an array, record what it computes.

Unlike the regression benches this one checks no values: :func:`verif.runner.run_gemm`
(``backend="cocotb"``) writes the zero-padded operand blocks of its
:class:`verif.gemm.plan.Tiling` and the order of the tiles into a ``.npz`` file
and names it in :class:`GemmArgs`; the bench packs each tile into
port values (:mod:`verif.sa_ports`, :mod:`verif.tc_ports`), streams the tiles
back to back (``gap`` idle cycles before every tile but the first: the SA's
rule that two ``in_last`` beats are ``rows`` cycles apart), and writes every
result the design produced, with the cycle it appeared at, into the results
``.npz`` for the host to read.  It only asserts what it needs to read the
results back at all: one result row (SA) or tile (TC/STC) per tile, SA rows in
``out_index`` order.

Results file (``np.savez``):

- ``c``: (T, rows, cols) int64, tile ``n`` of ``order`` as the design computed it;
- ``result_cycles``: (T, rows) for the SA (one per result row), (T, 1) for TC/STC;
- ``first_beats``, ``last_beats``: (T,) the cycle of each tile's first and last beat.

Cycles count clock edges from the end of reset, as :mod:`verif.bench` does: a
beat written after edge ``c`` has cycle ``c``; a result registered by edge ``e``
has cycle ``e``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import numpy as np

from golden.sparq import Config
from hdl.sa.variants import pe_class
from verif.bench import Driver, Monitor, start_clock_and_reset
from verif.kit import BenchArgs, uint, unpack
from verif.sa_ports import act_beats, weight_beats
from verif.tc_ports import stc_steps, tc_steps


@dataclass(frozen=True)
class GemmArgs(BenchArgs):
    arch: str               # "sa", "tc" or "stc"
    variant: str
    config: Config | None
    rows: int
    cols: int
    acc_width: int
    k_step: int             # reduction elements a beat (SA) or step (TC/STC)
    latency: int            # the array's: last beat to first result
    gap: int                # idle cycles before every tile but the first
    stimulus: str           # .npz from the host: a_blocks, w_blocks, order (T, 2)
    results: str            # .npz this bench writes


def _marked(beats: list[dict]) -> list[dict]:
    return [dict(b, in_valid=1, in_first=int(i == 0), in_last=int(i == len(beats) - 1))
            for i, b in enumerate(beats)]


class GemmStream:
    """Port values of the host's tiles, and how the design's results read back."""

    def __init__(self, args: GemmArgs, a_blocks: np.ndarray, w_blocks: np.ndarray,
                 order: np.ndarray):
        self.args, self.sa = args, args.arch == "sa"
        self.tiles = [(a_blocks[i], w_blocks[j]) for i, j in order]
        self.per_tile = args.rows if self.sa else 1  # results a tile produces

    def beats(self, tile) -> list[dict]:
        a_t, w_t = tile
        args = self.args
        if self.sa:
            pe = pe_class(args.variant)
            return _marked([{"in_act": x, "in_weight": y} for x, y in
                            zip(act_beats(pe, args.config, a_t), weight_beats(pe, w_t),
                                strict=True)])
        zero_c = np.zeros((args.rows, args.cols), np.int64)      # C = 0: D = A @ W
        steps = stc_steps if args.arch == "stc" else tc_steps
        return _marked(steps(a_t, w_t, zero_c, args.k_step, args.acc_width))

    def idle(self) -> dict:
        """Valid low (marks high, to show the design ignores them), data zero."""
        data = ("in_act", "in_weight") if self.sa else \
            ("in_a", "in_c") + (("in_values", "in_positions") if self.args.arch == "stc"
                                else ("in_b",))
        return dict(dict.fromkeys(data, 0), in_valid=0, in_first=1, in_last=1)

    def sample(self, dut):
        a = self.args
        if self.sa:
            return uint(dut.out_index.value), unpack(uint(dut.out_row.value), a.acc_width, a.cols)
        return None, unpack(uint(dut.out_d.value), a.acc_width, a.rows * a.cols)


@cocotb.test()
async def gemm(dut):
    args = GemmArgs.load()
    with np.load(args.stimulus) as f:
        stream = GemmStream(args, f["a_blocks"], f["w_blocks"], f["order"])
    txs, counts = [], []
    for n, tile in enumerate(stream.tiles):
        txs += [None] * (args.gap if n else 0)
        beats = stream.beats(tile)
        txs += beats
        counts.append(len(beats))

    for port, value in stream.idle().items():
        getattr(dut, port).value = value
    driver = Driver(dut, idle=stream.idle)
    monitor = Monitor(dut, "out_valid", stream.sample)
    await start_clock_and_reset(dut)
    horizon = len(txs) + args.latency + stream.per_tile + 8
    watch = cocotb.start_soon(monitor.run(horizon))
    await driver.run(txs)
    await watch

    tiles, per = len(stream.tiles), stream.per_tile
    seen = monitor.seen
    assert len(seen) == tiles * per, \
        f"{tiles} tiles should give {tiles * per} results, the design gave {len(seen)} " \
        f"within {horizon} cycles"
    if stream.sa:
        index = [s[0] for _, s in seen]
        want = list(range(per)) * tiles
        assert index == want, \
            f"result rows came as out_index {index[:16]}..., expected {want[:16]}..."
    c = np.array([s[1] for _, s in seen], np.int64).reshape(tiles, args.rows, args.cols)
    starts = np.cumsum([0] + counts[:-1])
    beat_cycles = [c_ for c_, _ in driver.sent]
    np.savez(args.results, c=c,
             result_cycles=np.array([cy for cy, _ in seen], np.int64).reshape(tiles, per),
             first_beats=np.array([beat_cycles[s] for s in starts], np.int64),
             last_beats=np.array([beat_cycles[s + n - 1] for s, n in zip(starts, counts,
                                                                         strict=True)], np.int64))
    dut._log.info(f"{tiles} tiles, {len(driver.sent)} beats, last result at cycle {seen[-1][0]}")
