"""The same sweep serially, on a LocalCluster of 1 worker and of 2: speedups and the scheduler's
overhead per task, side by side.

Usage: ``python scripts/bench_sweep.py [--variants LIST] [--acc-width N]``.  The sweep is the
area flow (every piece a real Verilog emission or a Yosys + OpenSTA run) of the SA PEs and TRUs
of the given variants; each run starts from an empty cache, so every piece is computed.

Overhead: everything in a run's wall time that is not time spent inside the pieces, per task.
With one worker the pieces run one after another, so ``wall - sum(piece seconds)`` is the cost
of the scheduler, the transfers and the client's loop; with two, idle time waiting for a
dependency (a synthesis needs its emission) adds to it.  The target: under 5% of the sweep's
time for tasks of a second or more.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sweep import cluster, flows
from sweep.cache import Cache
from sweep.engine import Engine
from sweep.spec import load

VARIANTS = "8b8b,2x4b8b,2opt,3opt,4opt,5opt,6opt,7opt,sysmt"


def _run(sweep, client, versions, folder: Path) -> dict:
    engine = Engine(sweep, client, Cache(folder / "cache"), folder / "work", versions)
    t0 = time.monotonic()
    results = engine.run()
    wall = time.monotonic() - t0
    failed = [r for r in results if r.state == "failed"]
    if failed:
        sys.exit(f"bench_sweep: {failed[0].point.label} failed: {failed[0].failures}")
    seconds = [n.seconds for n in engine.nodes.values() if n.state == "done"]
    long = [s for s in seconds if s >= 1.0]
    return {"wall": wall, "tasks": len(seconds), "task_s": sum(seconds), "long": len(long),
            "long_s": sum(long)}


def _noop(_):
    return None


def _round_trip(client, n: int = 200) -> float:
    """Seconds per trivial task submitted and gathered one after another (latency)."""
    client.submit(_noop, -1, pure=False).result()
    t0 = time.monotonic()
    for i in range(n):
        client.submit(_noop, i, pure=False).result()
    return (time.monotonic() - t0) / n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python scripts/bench_sweep.py", description=__doc__
                                .split("\n")[0])
    p.add_argument("--variants", default=VARIANTS, help=f"SA variants (default {VARIANTS})")
    p.add_argument("--acc-width", type=int, default=16, help="accumulator width (default 16)")
    a = p.parse_args(argv)
    os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")
    sweep = load(None, {"variants": a.variants.split(","), "sizes": ["16x16"],
                        "acc_widths": [a.acc_width], "flows": ["area"]})
    versions = flows.check_tools(flows.TOOLS["synth"])
    if versions["missing"]:
        sys.exit(f"bench_sweep: missing: {versions['missing']}")
    versions = versions["versions"]
    rows = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        tmp = Path(tmp)
        print(f"sweep: {len(sweep.points)} points (area flow, SA PEs and TRUs of {a.variants}, "
              f"acc {a.acc_width})", file=sys.stderr)
        rows["serial (this process)"] = _run(sweep, None, versions, tmp / "serial")
        latency = {}
        for workers in (1, 2):
            t0 = time.monotonic()
            with cluster.client(workers=workers, dashboard_address="127.0.0.1:0") as c:
                cluster.check_workers(c, {"emit", "synth"})
                start = time.monotonic() - t0
                row = _run(sweep, c, versions, tmp / f"w{workers}")
                row["start"] = start
                latency[workers] = _round_trip(c)
            rows[f"LocalCluster, {workers} worker{'s' * (workers > 1)}"] = row
            print(f"  {workers} worker(s) done", file=sys.stderr)
    serial = rows["serial (this process)"]["wall"]
    print(f"\n{len(sweep.points)} points, {rows['serial (this process)']['tasks']} tasks "
          f"(every piece computed: empty cache); {os.cpu_count()} cores, load average "
          f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after (other programs "
          "running on the machine slow the tasks of the 2-worker run down: compare its sum "
          "of task times with the 1-worker run's)\n")
    print("| run | wall (s) | speedup vs serial | sum of task times (s) | overhead (s) | "
          "overhead per task (ms) | overhead, % of wall | cluster start + tool check (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        workers = 2 if "2 workers" in name else 1
        over = r["wall"] * workers - r["task_s"]
        print(f"| {name} | {r['wall']:.1f} | {serial / r['wall']:.2f}x | {r['task_s']:.1f} | "
              f"{over:.1f} | {1e3 * over / r['tasks']:.0f} | "
              f"{100 * over / (r['wall'] * workers):.1f}% | "
              f"{r.get('start', 0):.1f} |")
    one = rows["LocalCluster, 1 worker"]
    over1 = one["wall"] - one["task_s"]
    print(f"\nScheduler overhead per task (1 worker: wall - sum of task times, over "
          f"{one['tasks']} tasks): {1e3 * over1 / one['tasks']:.0f} ms, "
          f"{100 * over1 / one['wall']:.1f}% of the sweep's time; "
          f"{one['long']} tasks of a second or more take {one['long_s']:.1f} s of the "
          f"{one['task_s']:.1f} s.")
    print(f"Round trip of a trivial task (submit, run, gather, one at a time): "
          f"{1e3 * latency[1]:.1f} ms (1 worker), {1e3 * latency[2]:.1f} ms (2 workers).")
    print("Overhead with 2 workers also counts a worker idle while its next piece waits for "
          "an input (an emission before its synthesis).")
    target = 100 * over1 / one["wall"] < 5
    print(f"Target (overhead under 5% of the sweep's time): {'met' if target else 'MISSED'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
