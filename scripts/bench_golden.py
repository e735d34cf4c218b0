"""Benchmark: golden.sparq.quantize throughput, next to a plain scalar implementation.

Prints activations per second for the vectorized model on 10^7 activations
(median of several runs, one core) and for a plain per-pair Python loop on a
sample, with their ratio.  Target: at least 50 million activations/s.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")       # one core, as the target says

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from golden.sparq import Config, quantize  # noqa: E402
from tests.golden.scalar import approx_pair  # noqa: E402

TARGET = 50e6


def rate(fn, count: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return count / statistics.median(times)


def activations(n: int, sparsity: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, n, dtype=np.int64)
    x[rng.random(n) < sparsity] = 0
    return x


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=10_000_000)
    p.add_argument("--scalar-count", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)

    print(f"{'config':<12}{'dtype':<8}{'vectorized act/s':>18}{'scalar act/s':>15}"
          f"{'ratio':>9}{'target':>9}")
    for opts in (2, 3, 5, 7):
        cfg = Config.preset(opts)
        sample = activations(args.scalar_count, 0.5)
        pairs = sample.reshape(-1, 2).tolist()
        scalar = rate(lambda: [approx_pair(a, b, cfg.bits, cfg.shifts, cfg.rounding)
                               for a, b in pairs], sample.size, 1)
        for dtype in (np.int64, np.uint8):
            x = activations(args.count, 0.5).astype(dtype)
            quantize(x[:10_000], cfg)                    # builds the pair table once
            fast = rate(lambda: quantize(x, cfg), x.size, args.repeats)
            verdict = "ok" if fast >= TARGET else "MISSED"
            print(f"{cfg.name:<12}{np.dtype(dtype).name:<8}{fast / 1e6:>15.1f} M{scalar / 1e6:>12.2f} M"
                  f"{fast / scalar:>8.0f}x{verdict:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
