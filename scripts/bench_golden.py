"""Benchmark: golden.sparq speed, next to a plain scalar implementation.

1. quantize: activations per second for the vectorized model on 10^7
   activations (median of several runs, one core) and for a plain per-pair
   Python loop on a sample, with their ratio.  Target: at least 50 million
   activations/s.
2. matmul at M = K = N = 1024 (5opt, half the activations zero, 2:4 weights):
   the dense product and the sparse tensor-core product (``stc=True``) side by
   side, each in its own process: wall time of one call, the call's peak of
   traced numpy memory (tracemalloc, a second call) and the process's peak
   resident memory (interpreter, inputs and pair table included).  Target: the
   STC product within the dense product's order of memory.
"""

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

os.environ.setdefault("OMP_NUM_THREADS", "1")       # one core, as the target says

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from golden.sparq import Config, matmul, quantize
from tests.golden.scalar import approx_pair

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


def sparse_weights(k: int, n: int, seed: int = 1) -> np.ndarray:
    """Random 2:4 weights (K, N): two non-zero weights in every aligned group of 4."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(-128, 128, (k // 4, 4, n))
    keep = np.argsort(rng.random(groups.shape), axis=1) < 2
    return np.where(keep, groups, 0).reshape(k, n)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's VmHWM starts afresh at exec; ru_maxrss does not (a child started
    from a large parent reports the parent's size), so it is only the fallback.
    """
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def matmul_worker(stc: bool, size: int) -> dict:
    """Time and memory of one ``size``-cubed matmul, in this (fresh) process."""
    cfg = Config.preset(5)
    a, w = activations(size * size, 0.5).reshape(size, size), sparse_weights(size, size)
    matmul(a[:8], w, cfg, stc=stc)                       # builds the pair table once
    start = time.perf_counter()
    matmul(a, w, cfg, stc=stc)
    seconds = time.perf_counter() - start
    rss_mb = peak_rss_mb()
    tracemalloc.start()                                   # slows Python, so not the timed call
    matmul(a, w, cfg, stc=stc)
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"seconds": seconds, "traced_mb": traced_mb, "rss_mb": rss_mb}


def matmul_table(size: int) -> None:
    """Dense and STC matmul side by side, each measured in its own process."""
    print(f"\nmatmul {size}x{size}x{size}, 5opt, one core")
    print(f"{'product':<10}{'time':>10}{'call peak':>12}{'process peak':>15}")
    rows = {}
    for name in ("dense", "stc"):
        done = subprocess.run([sys.executable, __file__, "--matmul-worker", name,
                               "--matmul-size", str(size)],
                              capture_output=True, text=True, check=True)
        rows[name] = json.loads(done.stdout)
        r = rows[name]
        print(f"{name:<10}{r['seconds']:>8.2f} s{r['traced_mb']:>9.0f} MB{r['rss_mb']:>12.0f} MB")
    ratio = {k: rows["stc"][k] / rows["dense"][k] for k in ("seconds", "traced_mb")}
    print(f"{'stc/dense':<10}{ratio['seconds']:>9.1f}x{ratio['traced_mb']:>11.1f}x")


def scalar_pairs(pairs: list, cfg: Config) -> list:
    return [approx_pair(a, b, cfg.bits, cfg.shifts, cfg.rounding) for a, b in pairs]


def quantize_table(args) -> None:
    print(f"{'config':<12}{'dtype':<8}{'vectorized act/s':>18}{'scalar act/s':>15}"
          f"{'ratio':>9}{'target':>9}")
    for opts in (2, 3, 5, 7):
        cfg = Config.preset(opts)
        sample = activations(args.scalar_count, 0.5)
        pairs = sample.reshape(-1, 2).tolist()
        scalar = rate(functools.partial(scalar_pairs, pairs, cfg), sample.size, 1)
        for dtype in (np.int64, np.uint8):
            x = activations(args.count, 0.5).astype(dtype)
            quantize(x[:10_000], cfg)                    # builds the pair table once
            fast = rate(functools.partial(quantize, x, cfg), x.size, args.repeats)
            verdict = "ok" if fast >= TARGET else "MISSED"
            print(f"{cfg.name:<12}{np.dtype(dtype).name:<8}{fast / 1e6:>15.1f} M"
                  f"{scalar / 1e6:>12.2f} M{fast / scalar:>8.0f}x{verdict:>9}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=10_000_000)
    p.add_argument("--scalar-count", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--matmul-size", type=int, default=1024, help="M = K = N (a multiple of 4)")
    p.add_argument("--only", choices=["quantize", "matmul"], help="run one of the two tables")
    p.add_argument("--matmul-worker", choices=["dense", "stc"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.matmul_worker:
        print(json.dumps(matmul_worker(args.matmul_worker == "stc", args.matmul_size)))
        return 0
    if args.only != "matmul":
        quantize_table(args)
    if args.only != "quantize":
        matmul_table(args.matmul_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
