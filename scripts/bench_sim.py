"""Benchmark: RTL simulation speed of a GEMM, three ways side by side, in one run.

For a 5opt SPARQ SA of 16x16, 64x64 and 128x128 PEs:

1. **cocotb**: ``verif.runner.run_gemm(backend="cocotb", simulator="verilator")``, Python in
   every cycle (the regressions' bench);
2. **harness**: ``run_gemm`` with the compiled C++ harness (``backend="compiled"``, the
   default), with 1 and 2 Verilator threads;
3. **model**: Verilator's own compiled model of the same design in the plain testbench
   ``examples/sa/tb.v`` (``$readmemh`` stimulus), built with the emission's Verilator
   configuration (``scripts/verilator_model.py``): the speed the harness is measured against.

Each GEMM is sized to about ``--cycles`` array cycles (fewer for the cocotb path, which is
slow); builds are timed once (the first, uncached build) and excluded from the rates.
Rates: simulated array cycles per second of wall time and per CPU second of the simulator
process (the CPU figure is not disturbed by other load on the machine), and PE-cycles per
second (cycles x rows x cols).  ``run_gemm``'s rate is its whole call (packing, files, the
executable, reading back), so its ratio to the model is what a user gets.

Targets (issue 19): the harness at 16x16 and 64x64 at least half the model's cycles/s; at
16x16 at least 10x the cocotb path; at 128x128 at least 10 M PE-cycles/s on one core.

Not a test: it prints a table.  ``--sizes``, ``--cycles``, ``--cocotb-cycles`` change it;
``--no-cocotb`` skips the slow path.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")

import numpy as np  # noqa: E402

from golden.sparq import Config, matmul  # noqa: E402
from verif.runner import run_gemm  # noqa: E402

CFG = Config.preset(5)


def operands(rows: int, cycles: int, seed: int = 0):
    """An (M, K) x (K, rows) GEMM of about ``cycles`` cycles on a ``rows``-row SA."""
    beats = max(rows, 256)                       # no drain gaps: beats >= rows
    tiles = max(1, round(cycles / beats))
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (tiles * rows, 2 * beats))
    a[rng.random(a.shape) < 0.5] = 0             # half the codes zero, as post-ReLU layers
    return a, rng.integers(-128, 128, (2 * beats, rows))


def timed_gemm(rows: int, cycles: int, **kw) -> dict:
    """One warm-up call (builds if needed, timed), then the timed call."""
    a, w = operands(rows, cycles)
    t0 = time.perf_counter()
    first = run_gemm(a, w, rows=rows, cols=rows, **kw)
    build = first.stats.build_seconds
    t1 = time.perf_counter()
    run = run_gemm(a, w, rows=rows, cols=rows, **kw)
    wall = time.perf_counter() - t1
    if not (run.c == matmul(a, w, CFG)).all():
        raise SystemExit(f"{rows}x{rows} {kw}: the simulation's C differs from the golden model")
    s = run.stats
    return {"cycles": run.cycles, "wall": wall, "sim": s.sim_seconds,
            "cpu": s.sim_cpu_seconds or None, "build": build, "first": t1 - t0}


def rate(cycles: int, seconds: float | None) -> float | None:
    return cycles / seconds if seconds else None


def fmt(v, scale=1.0, digits=0) -> str:
    return "-" if v is None else f"{v / scale:,.{digits}f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="16,64,128", help="square SA sizes (default 16,64,128)")
    p.add_argument("--cycles", type=int, default=200_000,
                   help="array cycles per harness and model run (default 200,000; "
                        "a tenth above 16x16)")
    p.add_argument("--cocotb-cycles", type=int, default=20_000,
                   help="cycles per cocotb run at 16x16 (default 20,000; scaled down with "
                        "the PE count above)")
    p.add_argument("--no-cocotb", action="store_true", help="skip the cocotb path")
    a = p.parse_args(argv)
    try:
        sizes = [int(s) for s in a.sizes.split(",")]
    except ValueError:
        p.error(f"--sizes takes integers separated by commas, got {a.sizes!r}")
    if min(sizes) < 2 or a.cycles < 1000 or a.cocotb_cycles < 100:
        p.error("--sizes >= 2, --cycles >= 1000, --cocotb-cycles >= 100")
    sys.path.insert(0, str(ROOT / "scripts"))
    from verilator_model import measure

    rows_out = []
    for n in sizes:
        scale = max(1, (n * n) // 256)
        cycles = a.cycles if n <= 16 else max(20_000, a.cycles // 10)
        res = {}
        res["harness"] = timed_gemm(n, cycles, backend="compiled")
        res["harness x2"] = timed_gemm(n, cycles, backend="compiled", threads=2)
        if not a.no_cocotb:
            res["cocotb"] = timed_gemm(n, max(500, a.cocotb_cycles // scale), backend="cocotb",
                                       simulator="verilator")
        model = measure(n, kind="hier", cycles=cycles)
        res["model"] = {"cycles": model.cycles, "wall": model.seconds, "sim": model.seconds,
                        "cpu": model.cpu_seconds, "build": model.build_seconds,
                        "peak": model.build_peak_mb}
        rows_out.append((n, res))
        print(f"{n}x{n} done", file=sys.stderr, flush=True)

    print("\nRTL simulation of a 5opt SA GEMM (array cycles per second; PE-cycles = cycles x PEs)")
    print(f"{'array':>8} {'path':>11} {'cycles':>9} {'cycles/s wall':>14} {'cycles/s CPU':>13} "
          f"{'M PE-cyc/s':>11} {'build s':>8}")
    for n, res in rows_out:
        for path, r in res.items():
            wall, cpu = rate(r["cycles"], r["wall"]), rate(r["cycles"], r["cpu"])
            pe = (cpu or wall) * n * n
            print(f"{n:>4}x{n:<3} {path:>11} {r['cycles']:>9,} {fmt(wall):>14} {fmt(cpu):>13} "
                  f"{fmt(pe, 1e6, 2):>11} {fmt(r['build'], 1, 0):>8}")
    print("\nRatios (wall time of the whole run_gemm call against the model's run):")
    for n, res in rows_out:
        h = rate(res["harness"]["cycles"], res["harness"]["wall"])
        m = rate(res["model"]["cycles"], res["model"]["wall"])
        line = f"  {n}x{n}: harness / model {h / m:.2f}"
        target = " (target >= 0.5)" if n <= 64 else ""
        line += target
        if "cocotb" in res:
            c = rate(res["cocotb"]["cycles"], res["cocotb"]["wall"])
            line += f"; harness / cocotb {h / c:.1f}x" + (" (target >= 10x)" if n == 16 else "")
        t2 = rate(res["harness x2"]["cycles"], res["harness x2"]["wall"])
        line += f"; 2 threads / 1 thread {t2 / h:.2f}"
        if n >= 128:
            pe = rate(res["harness"]["cycles"], res["harness"]["cpu"]) * n * n / 1e6
            line += f"; {pe:.1f} M PE-cycles/s per CPU second (target >= 10)"
        print(line)
    for n, res in rows_out:
        m = res["model"]
        if m["build"]:
            print(f"  model build {n}x{n}: {m['build']:.0f} s, peak {m['peak']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
