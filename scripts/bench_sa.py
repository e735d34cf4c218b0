"""Benchmark: systolic-array emission and simulation speed.

1. Emission of a 128x128 SPARQ (5opt) array: ``python -m hdl.generate --opts 5
   --rows 128`` (each distinct module converted once, stitched with
   ``Instance``) next to a flat conversion of the same array, wall time and
   peak memory of each in its own process, with their ratio.  Target: the
   hierarchical emission in at most 5 s and 500 MB.
2. Simulation throughput in PE-cycles per second (rows x cols x simulated
   cycles / wall time of the cocotb run, build excluded) of 16x16 and
   128x128 arrays on Icarus and Verilator, running the regression bench
   (``verif/tb_sa_array.py``) on one stream of tiles.

Not a test: it prints figures.  ``--quick`` skips the flat conversion and the
128x128 simulations; the 128x128 Icarus run (about 5,000 PE-cycles/s, so some
20 minutes) only runs with ``--icarus-128``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")

TARGET_S, TARGET_MB = 5.0, 500.0

FLAT = """
import sys
from golden.sparq import Config
from hdl.emit import convert
from hdl.sa.array import SystolicArray
n = int(sys.argv[1])
array = SystolicArray(variant="sparq", config=Config.preset(5), rows=n, cols=n)
open(sys.argv[2], "w").write(convert(array, "flat"))
"""


#: The flat conversion grows by about 1 GB a minute: stop it at these limits
#: (the machine is shared) and report lower bounds.
FLAT_LIMIT_S, FLAT_LIMIT_MB = 240, 6000


def _limit_memory(mb: int):
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))


def measured(cmd: list[str], timeout: float | None = None,
             memory_mb: int | None = None) -> tuple[float, float, bool]:
    """Wall seconds, peak resident MB and completion of a child process."""
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=timeout,
                              preexec_fn=_limit_memory(memory_mb) if memory_mb else None
                              ).returncode == 0
    except subprocess.TimeoutExpired:
        done = False
    wall = time.perf_counter() - start
    # ru_maxrss of children is the largest child so far: run the small one first.
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, done


def emission(size: int, flat: bool) -> None:
    with tempfile.TemporaryDirectory() as out:
        hier = measured([sys.executable, "-m", "hdl.generate", "--opts", "5", "--rows", str(size),
                         "-o", out])
        if not hier[2]:
            raise SystemExit("the hierarchical emission failed")
        print(f"emission {size}x{size} hierarchical: {hier[0]:6.2f} s {hier[1]:7.0f} MB "
              f"(target <= {TARGET_S:.0f} s, <= {TARGET_MB:.0f} MB: "
              f"{'met' if hier[0] <= TARGET_S and hier[1] <= TARGET_MB else 'NOT met'})")
        if not flat:
            return
        flat_t = measured([sys.executable, "-c", FLAT, str(size), f"{out}/flat.v"],
                          timeout=FLAT_LIMIT_S, memory_mb=FLAT_LIMIT_MB)
        more = "" if flat_t[2] else ">"
        note = "" if flat_t[2] else f" (stopped at the {FLAT_LIMIT_S} s / {FLAT_LIMIT_MB} MB limit)"
        print(f"emission {size}x{size} flat:        {more}{flat_t[0]:6.2f} s "
              f"{more}{flat_t[1]:7.0f} MB"
              f"{note}")
        print(f"ratio flat / hierarchical:    {more}{flat_t[0] / hier[0]:6.1f} x time, "
              f"{more}{flat_t[1] / hier[1]:5.1f} x memory")


def simulation(sim: str, size: int, tiles: list) -> None:
    from golden.sparq import Config
    from verif.runner import run_array

    cfg = Config.preset(5)
    start = time.perf_counter()
    array, bdir = run_array(sim, "sparq", cfg, size, size, tiles=tiles, seed=size)
    total = time.perf_counter() - start
    case = ET.parse(bdir / "results-gemm_stream.xml").find(".//testcase")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    wall, sim_ns = float(case.get("time")), float(props["sim_time_duration"])
    cycles = sim_ns / 10
    rate = size * size * cycles / wall
    print(f"simulation {size:3d}x{size:<3d} {sim:9s}: {cycles:7.0f} cycles in {wall:7.2f} s "
          f"-> {rate:12,.0f} PE-cycles/s (with build: {total:.0f} s)")
    return array


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="skip the flat conversion and the 128x128 simulations")
    p.add_argument("--icarus-128", action="store_true",
                   help="also simulate 128x128 on Icarus (about 20 minutes)")
    args = p.parse_args(argv)
    emission(128, flat=not args.quick)
    for sim in ("icarus", "verilator"):
        simulation(sim, 16, [[64, 0.5]] * 8)
        if args.quick or (sim == "icarus" and not args.icarus_128):
            print(f"simulation 128x128 {sim:9s}: skipped "
                  f"({'--quick' if args.quick else 'needs --icarus-128'})")
            continue
        simulation(sim, 128, [[256, 0.5]] * 3 if sim == "verilator" else [[2, 0.5]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
