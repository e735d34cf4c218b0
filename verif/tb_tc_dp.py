"""cocotb bench: a dot-product unit (TC 8b8b / 2x4b8b / SPARQ, or STC) against the golden model.

One random operand set per valid cycle (sparse activations, extreme weights,
random c; for the SPARQ TC unit, pair words from the golden TRU or with random
fields), random idle cycles with garbage operands in between.
"""

import cocotb
import numpy as np

from golden.sparq import compress_2to4, decode, encode, matmul, wrap
from verif.bench import Driver, Monitor, scoreboard, start_clock_and_reset
from verif.harness import bench_args
from verif.tb_tc_common import activations, config_of, pack, sparse_2to4, weights


def random_words(rng, cfg, count):
    """Pair words with random fields (any data, any shift of S, any mux bits).

    The unit must follow the word, whatever made it: these include words no
    TRU would produce (both mux bits set, a lone value's slots in odd places).
    """
    def slot():
        data = int(rng.integers(1 << cfg.bits))
        idx = int(rng.integers(len(cfg.shifts)))
        return data | idx << cfg.bits | int(rng.integers(2)) << (cfg.bits + cfg.idx_bits)
    return np.array([slot() | slot() << cfg.slot_width for _ in range(count)])


def operand_sets(rng, args, cfg, count):
    """(a, w, c, words): activations (K_STEP,), dense weights (K_STEP,), c, and for
    the SPARQ TC unit its pair words (of ``a`` by the golden TRU, or random)."""
    ks, acc = args["k_step"], args["acc_width"]
    top = 16 if args["variant"] == "2x4b8b" else 256
    for _ in range(count):
        a = activations(rng, (ks,)) % top
        w = sparse_2to4(rng, ks, 1)[:, 0] if args["stc"] else weights(rng, (ks,))
        c = int(rng.integers(-(1 << (acc - 1)), 1 << (acc - 1)))
        words = None
        if args["variant"] == "sparq" and not args["stc"]:
            words = encode(a, cfg) if rng.random() < 0.5 else random_words(rng, cfg, ks // 2)
        yield a, w, c, words


def ports_of(a, w, c, words, args, cfg):
    """Port values of one operand set (the driver side)."""
    acc = args["acc_width"]
    if args["stc"]:
        values, positions = compress_2to4(w[:, None])
        return {"in_a": pack(a, 8), "in_values": pack(values[:, 0], 8),
                "in_positions": pack(positions[:, 0], 2), "in_c": c & ((1 << acc) - 1)}
    ports = {"in_b": pack(w, 8), "in_c": c & ((1 << acc) - 1)}
    if args["variant"] == "sparq":
        ports["in_words"] = pack(words, cfg.word_width)
    else:
        ports["in_a"] = pack(a, 4 if args["variant"] == "2x4b8b" else 8)
    return ports


def model(a, w, c, words, args, cfg):
    """Golden d: the decoded words (SPARQ TC), the STC SPARQ product or the exact
    product, plus c, wrapped."""
    if cfg is None:
        prod = int(a @ w)
    elif words is not None:
        prod = int(decode(words, cfg) @ w)
    else:
        prod = int(matmul(a[None], w[:, None], cfg, stc=args["stc"], acc_width=64)[0, 0])
    return int(wrap(prod + c, args["acc_width"]))


@cocotb.test()
async def random_operands(dut):
    args = bench_args()
    cfg = config_of(args)
    rng = np.random.default_rng(args["seed"])
    sets = list(operand_sets(rng, args, cfg, args["count"]))
    transactions = []
    for operands in sets:
        if rng.random() < 0.2:
            transactions.append(None)
        transactions.append(dict(ports_of(*operands, args, cfg), in_valid=1))
    widths = {p: len(getattr(dut, p).value)
              for p in transactions[-1] if p != "in_valid"}

    driver = Driver(dut, idle=lambda: dict(
        {p: int(rng.integers(1 << min(b, 62))) for p, b in widths.items()}, in_valid=0))
    monitor = Monitor(dut, "out_valid", lambda d: d.out_d.value.to_signed())
    await start_clock_and_reset(dut)
    watch = cocotb.start_soon(monitor.run(len(transactions) + args["latency"] + 2))
    await driver.run(transactions)
    await watch

    expected = [model(*operands, args, cfg) for operands in sets]
    actual = [d for _, d in monitor.seen]
    scoreboard(expected, actual, lambda i: f"a={sets[i][0].tolist()} w={sets[i][1].tolist()} "
                                           f"c={sets[i][2]} words={sets[i][3]}")
    offsets = {seen - sent for (sent, _), (seen, _) in zip(driver.sent, monitor.seen)}
    assert offsets == {args["latency"]}, f"latency {offsets}, the unit documents {args['latency']}"
