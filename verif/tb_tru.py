"""cocotb bench: the trim-and-round unit against golden.sparq.encode, exhaustively.

Every one of the 65,536 activation pairs goes through once, in a seeded random
order, with random idle cycles (valid low, garbage data) in between.
"""

import cocotb
import numpy as np

from golden.sparq import Config, decode, encode
from verif.bench import Driver, Monitor, scoreboard, start_clock_and_reset
from verif.harness import bench_args


def pair_stream(rng, idle_rate: float):
    """Transactions: all pairs in random order, ``None`` marking idle cycles."""
    pairs = rng.permutation(1 << 16)
    gaps = rng.random(pairs.size) < idle_rate
    for code, gap in zip(pairs, gaps):
        if gap:
            yield None
        yield {"in_valid": 1, "in_pair": int(code & 0xFF) << 8 | int(code >> 8)}


@cocotb.test()
async def exhaustive_pairs(dut):
    args = bench_args()
    cfg = Config(args["bits"], tuple(args["shifts"]), args["rounding"])
    rng = np.random.default_rng(args.get("seed", 1))
    transactions = list(pair_stream(rng, idle_rate=0.1))

    driver = Driver(dut, idle=lambda: {"in_valid": 0, "in_pair": int(rng.integers(1 << 16))})
    monitor = Monitor(dut, "out_valid", lambda d: d.out_word.value.to_unsigned())
    await start_clock_and_reset(dut)
    watch = cocotb.start_soon(monitor.run(len(transactions) + args["latency"] + 2))
    await driver.run(transactions)
    await watch

    sent = np.array([[tx["in_pair"] & 0xFF, tx["in_pair"] >> 8] for _, tx in driver.sent])
    expected = [int(w) for w in encode(sent, cfg)[:, 0]]
    actual = [word for _, word in monitor.seen]

    def describe(i):
        got = decode(np.array([actual[i]]), cfg) if i < len(actual) else "-"
        return f"pair {tuple(sent[i])} -> golden {tuple(decode(np.array([expected[i]]), cfg))}, " \
               f"design decodes to {got}"

    scoreboard(expected, actual, describe)
    offsets = {seen - sent_at for (sent_at, _), (seen, _) in zip(driver.sent, monitor.seen)}
    assert offsets == {args["latency"]}, f"latency {offsets}, the unit documents {args['latency']}"
