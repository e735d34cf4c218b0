"""cocotb bench: a systolic array on streams of GEMM tiles against golden.sparq.

The driver feeds aligned beats (the array skews them itself), tiles back to
back, padding a tile shorter than ``rows`` beats with idle cycles as the
protocol requires.  The monitor records result rows with their cycle; the
model is golden.sparq per variant; the scoreboard compares every element,
then the cycle of every result row against the documented latency and the
cycle count of the whole stream against the documented formula.
"""

import cocotb
import numpy as np

from verif.bench import Driver, Monitor, scoreboard, start_clock_and_reset
from verif.harness import bench_args
from verif.tb_sa_common import (ACT_TOP, act_beats, activations, config_of, golden, uint, unpack,
                                weight_beats, weights)


def make_tiles(args, rng):
    """GEMM operands ``(a (rows, K), w (K, cols))`` for each tile spec ``[K, sparsity]``."""
    top = ACT_TOP[args["variant"]]
    return [(activations(rng, (args["rows"], k), sparsity, top), weights(rng, (k, args["cols"])))
            for k, sparsity in args["tiles"]]


def transactions(args, cfg, tiles):
    """Beats of every tile; a tile shorter than ``rows`` beats after another one starts
    with idle cycles, so that ``in_last`` beats are at least ``rows`` cycles apart."""
    txs = []
    for n, (a, w) in enumerate(tiles):
        acts = act_beats(args["variant"], cfg, a, packed=not args["tru"])
        wgts = weight_beats(args["variant"], w)
        if n:
            txs += [None] * max(0, args["rows"] - len(acts))
        for k, (x, y) in enumerate(zip(acts, wgts)):
            txs.append({"in_valid": 1, "in_first": int(k == 0), "in_last": int(k == len(acts) - 1),
                        "in_act": x, "in_weight": y})
    return txs


@cocotb.test()
async def gemm_stream(dut):
    args = bench_args()
    cfg, rows, cols, acc = config_of(args), args["rows"], args["cols"], args["acc_width"]
    rng = np.random.default_rng(args["seed"])
    tiles = make_tiles(args, rng)
    txs = transactions(args, cfg, tiles)

    driver = Driver(dut, idle=lambda: {"in_valid": 0, "in_first": 1, "in_last": 1,
                                       "in_act": 0, "in_weight": 0})
    monitor = Monitor(dut, "out_valid", lambda d: (
        uint(d.out_index.value), int(d.out_first.value == 1), int(d.out_last.value == 1),
        unpack(uint(d.out_row.value), acc, cols)))
    await start_clock_and_reset(dut)
    watch = cocotb.start_soon(monitor.run(len(txs) + args["latency"] + rows + 8))
    await driver.run(txs)
    await watch

    expected = [(r, int(r == 0), int(r == rows - 1), [int(v) for v in res[r]])
                for a, w in tiles for res in [golden(args["variant"], cfg, a, w, acc)]
                for r in range(rows)]
    actual = [sample for _, sample in monitor.seen]
    scoreboard(expected, actual, lambda i: f"tile {i // rows}, row {i % rows}")

    lasts = [cycle for cycle, tx in driver.sent if tx["in_last"]]
    want = [c + args["latency"] + r for c in lasts for r in range(rows)]
    got = [cycle for cycle, _ in monitor.seen]
    assert got == want, f"result rows at cycles {got[:8]}..., expected {want[:8]}..."
    first_beat = driver.sent[0][0]
    beats = [len(weight_beats(args["variant"], w)) for _, w in tiles]
    if len(set(beats)) == 1:
        total = got[-1] - first_beat + 1
        assert total == args["stream_cycles"][str(beats[0])], \
            f"stream took {total} cycles, the formula says {args['stream_cycles']}"
    dut._log.info(f"{len(tiles)} tiles, {len(txs)} input cycles, last row at cycle {got[-1]}")
