"""cocotb bench: a dot-product unit (TC 8b8b / 2x4b8b / SPARQ, or STC) against the golden model.

One random operand set per valid cycle (sparse activations, extreme weights,
random c), random idle cycles with garbage operands in between.
"""

import cocotb
import numpy as np

from golden.sparq import compress_2to4, encode, matmul, wrap
from verif.bench import Driver, Monitor, scoreboard, start_clock_and_reset
from verif.harness import bench_args
from verif.tb_tc_common import activations, config_of, pack, sparse_2to4, weights


def operand_sets(rng, args, count):
    """(a, w, c): activations (K_STEP,), dense weights (K_STEP,), c."""
    ks, acc = args["k_step"], args["acc_width"]
    top = 16 if args["variant"] == "2x4b8b" else 256
    for _ in range(count):
        a = activations(rng, (ks,)) % top
        w = sparse_2to4(rng, ks, 1)[:, 0] if args["stc"] else weights(rng, (ks,))
        c = int(rng.integers(-(1 << (acc - 1)), 1 << (acc - 1)))
        yield a, w, c


def ports_of(a, w, c, args, cfg):
    """Port values of one operand set (the driver side)."""
    acc = args["acc_width"]
    if args["stc"]:
        values, positions = compress_2to4(w[:, None])
        return {"in_a": pack(a, 8), "in_values": pack(values[:, 0], 8),
                "in_positions": pack(positions[:, 0], 2), "in_c": c & ((1 << acc) - 1)}
    ports = {"in_b": pack(w, 8), "in_c": c & ((1 << acc) - 1)}
    if args["variant"] == "sparq":
        ports["in_words"] = pack(encode(a, cfg), cfg.word_width)
    else:
        ports["in_a"] = pack(a, 4 if args["variant"] == "2x4b8b" else 8)
    return ports


def model(a, w, c, args, cfg):
    """Golden d: SPARQ (TC or STC pairing) or exact product, plus c, wrapped."""
    if cfg is None:
        prod = int(a @ w)
    else:
        prod = int(matmul(a[None], w[:, None], cfg, stc=args["stc"], acc_width=64)[0, 0])
    return int(wrap(prod + c, args["acc_width"]))


@cocotb.test()
async def random_operands(dut):
    args = bench_args()
    cfg, acc = config_of(args), args["acc_width"]
    rng = np.random.default_rng(args["seed"])
    sets = list(operand_sets(rng, args, args["count"]))
    transactions = []
    for a, w, c in sets:
        if rng.random() < 0.2:
            transactions.append(None)
        transactions.append(dict(ports_of(a, w, c, args, cfg), in_valid=1))
    widths = {p: len(getattr(dut, p).value)
              for p in transactions[-1] if p != "in_valid"}

    driver = Driver(dut, idle=lambda: dict(
        {p: int(rng.integers(1 << min(b, 62))) for p, b in widths.items()}, in_valid=0))
    monitor = Monitor(dut, "out_valid", lambda d: d.out_d.value.to_signed())
    await start_clock_and_reset(dut)
    watch = cocotb.start_soon(monitor.run(len(transactions) + args["latency"] + 2))
    await driver.run(transactions)
    await watch

    expected = [model(a, w, c, args, cfg) for a, w, c in sets]
    actual = [d for _, d in monitor.seen]
    scoreboard(expected, actual, lambda i: f"a={sets[i][0].tolist()} w={sets[i][1].tolist()} "
                                           f"c={sets[i][2]}")
    offsets = {seen - sent for (sent, _), (seen, _) in zip(driver.sent, monitor.seen)}
    assert offsets == {args["latency"]}, f"latency {offsets}, the unit documents {args['latency']}"
