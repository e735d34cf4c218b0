"""Helpers shared by the tensor-core benches: operand generators, port packing, the run loop.

Kept apart from the benches' model and scoreboard: the driver side builds
per-cycle port values from tiles, the model side is golden.sparq.
"""

from __future__ import annotations

import cocotb
import numpy as np

from golden.sparq import Config, wrap
from verif.bench import Driver, Monitor, scoreboard, start_clock_and_reset


def config_of(args) -> Config | None:
    return Config(args["bits"], tuple(args["shifts"]), args["rounding"]) \
        if args.get("bits") is not None else None


def pack(values, width: int) -> int:
    """Flattened ``values`` (element 0 at the LSBs) as one unsigned port value."""
    out, mask = 0, (1 << width) - 1
    for i, v in enumerate(np.asarray(values).ravel()):
        out |= (int(v) & mask) << (i * width)
    return out


def unpack(value: int, width: int, count: int) -> list[int]:
    """Signed fields of a packed port value."""
    fields = [(value >> (i * width)) & ((1 << width) - 1) for i in range(count)]
    return [f - (1 << width) if f >> (width - 1) else f for f in fields]


def activations(rng, shape) -> np.ndarray:
    """Activation codes with a random share of zeros and a random magnitude range.

    Small ranges exercise the low windows, full-range the high ones, zeros
    the lone-value and both-zero pair cases.
    """
    top = int(rng.choice([16, 64, 256]))
    a = rng.integers(0, top, size=shape)
    return np.where(rng.random(shape) < rng.choice([0.0, 0.3, 0.6]), 0, a)


def weights(rng, shape) -> np.ndarray:
    w = rng.integers(-128, 128, size=shape)
    w[rng.random(shape) < 0.05] = -128           # the extreme weight, often
    return w


def sparse_2to4(rng, k: int, n: int) -> np.ndarray:
    """2:4 sparse weights (K, N): each group of 4 keeps 0, 1 or 2 random positions."""
    w = weights(rng, (k, n))
    keep = np.zeros((k, n), dtype=bool)
    for g in range(0, k, 4):
        for col in range(n):
            count = int(rng.choice([0, 1, 2, 2, 2]))
            span = min(4, k - g)
            keep[g + rng.choice(span, size=min(count, span), replace=False), col] = True
    w = np.where(keep, w, 0)
    w[keep & (w == 0)] = 1            # a kept weight is non-zero
    return w


def tile_c(rng, rows: int, cols: int, acc_width: int) -> np.ndarray:
    half = 1 << (acc_width - 1)
    return wrap(rng.integers(-half, half, size=(rows, cols), dtype=np.int64), acc_width)


def sweep(steps: list[dict], rng, idle_rate: float):
    """Per-cycle transactions of one sweep: ``in_first``/``in_last`` marks and idles."""
    for i, step in enumerate(steps):
        while rng.random() < idle_rate:
            yield None
        yield dict(step, in_valid=1, in_first=int(i == 0), in_last=int(i == len(steps) - 1))


async def run_sweeps(dut, transactions: list, garbage: dict, latency: int, acc_width: int,
                     rows: int, cols: int, rng):
    """Drive the transactions, collect every valid D tile; returns (driver, monitor)."""
    def idle():
        return dict({p: int(rng.integers(1 << min(w, 62))) for p, w in garbage.items()},
                    in_valid=0, in_first=int(rng.integers(2)), in_last=int(rng.integers(2)))

    driver = Driver(dut, idle=idle)
    monitor = Monitor(dut, "out_valid", lambda d: np.array(
        unpack(d.out_d.value.to_unsigned(), acc_width, rows * cols)).reshape(rows, cols))
    await start_clock_and_reset(dut)
    watch = cocotb.start_soon(monitor.run(len(transactions) + latency + 2))
    await driver.run(transactions)
    await watch
    return driver, monitor


def check_latency(driver, monitor, latency: int) -> None:
    lasts = [cycle for cycle, tx in driver.sent if tx["in_last"]]
    offsets = {seen - sent for sent, (seen, _) in zip(lasts, monitor.seen)}
    assert offsets <= {latency}, f"D appeared {offsets} cycles after the last step, " \
                                 f"the array documents {latency}"


def write_sources(top: str, files: dict) -> list:
    """pytest side: write a hierarchical emission to build/verif/rtl/<top>/, top file last.

    Each design gets its own folder so that parallel workers never share a
    file; a file is only rewritten when its text changed.
    """
    from verif.harness import BUILD
    folder = BUILD / "rtl" / top
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in sorted(files.items(), key=lambda kv: kv[0] == f"{top}.v"):
        path = folder / name
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(".v.tmp")
            tmp.write_text(text)
            tmp.replace(path)
        paths.append(path)
    return paths


def array_sources(arch: str, variant: str, cfg, rows: int, cols: int, acc_width: int,
                  flat: bool = False):
    """pytest side: ``(top, sources, array)`` of a TC/STC array, as the CLI emits it
    (one file per distinct module) or, with ``flat``, as one flat Amaranth design."""
    from hdl.tc.emit import emit_array
    top, files, array = emit_array(arch, variant, cfg, rows=rows, cols=cols,
                                   acc_width=acc_width)
    if not flat:
        return top, write_sources(top, files), array
    from verif.harness import emit
    from hdl.tc.array import TensorCore
    from hdl.tc.sparse_array import SparseTensorCore
    cls = TensorCore if arch == "tc" else SparseTensorCore
    array = cls(variant=variant, config=cfg, rows=rows, cols=cols, acc_width=acc_width)
    return top + "_flat", [emit(array, top + "_flat")], array


async def check_random_tiles(dut, args, tiles, steps_of, model, garbage: dict) -> None:
    """Drive random operand sets as back-to-back sweeps and score D against ``model``.

    ``tiles(rng, args, count)`` yields (A, B, C); ``steps_of(a, b, c, k_step,
    acc_width)`` gives each step's port values; ``model(a, b, c, cfg, acc)`` is
    the golden D; ``garbage`` gives the width of each input written on idle cycles.
    """
    cfg, acc, ks = config_of(args), args["acc_width"], args["k_step"]
    rng = np.random.default_rng(args["seed"])
    sets = list(tiles(rng, args, args["tiles"]))
    transactions = [tx for a, b, c in sets
                    for tx in sweep(steps_of(a, b, c, ks, acc), rng, idle_rate=0.2)]
    m, n = args["rows"], args["cols"]
    driver, monitor = await run_sweeps(dut, transactions, garbage, args["latency"], acc, m, n, rng)

    expected = [model(a, b, c, cfg, acc).tolist() for a, b, c in sets]
    actual = [d.tolist() for _, d in monitor.seen]
    scoreboard(expected, actual, lambda i: f"tile {i}: K = {sets[i][0].shape[1]}")
    check_latency(driver, monitor, args["latency"])
