"""``make area``: synthesize every unit, time it, write reports/area.{md,csv,json,png}.

Usage: ``python -m synth.area [--liberty PATH] [--jobs N] [--only GLOB] [-o DIR]``.
Designs run in a process pool; a plain-text progress line per design goes to
stderr.  A missing tool or library is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from synth import liberty as libmod
from synth import sta, yosys
from synth.designs import all_designs
from synth.flow import stage_liberty, synthesize
from synth.report import write_all

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m synth.area",
                description="Synthesize the SPARQ units and write the area/timing report.")
    p.add_argument("--liberty", default=None,
                   help=f"liberty file (default ${libmod.LIBERTY_ENV} or {libmod.DEFAULT_LIBERTY})")
    p.add_argument("--jobs", type=int, default=2, help="parallel designs (default 2)")
    p.add_argument("--period", type=float, default=sta.DEFAULT_PERIOD,
                   help="clock period for timing, in library time units "
                        f"(default {sta.DEFAULT_PERIOD:g})")
    p.add_argument("--booth", action="store_true",
                   help="synth -booth (Booth multipliers) for every design")
    p.add_argument("--acc-width", type=int, default=32, help="accumulator width (default 32)")
    p.add_argument("--only", default=None,
                   help="only designs whose key matches this glob, e.g. 'tru_*'")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="report folder (default reports/, or build/area-subset/ with --only, "
                        "so a partial run never overwrites the committed report)")
    p.add_argument("--workdir", type=Path, default=ROOT / "build" / "synth",
                   help="scratch folder for Verilog, netlists and logs (default build/synth)")
    return p


def _run_one(design, liberty, workdir, period, booth):
    try:
        return synthesize(design, liberty, workdir, period, booth)
    except (RuntimeError, ValueError, OSError) as e:
        return {"key": design.key, "kind": design.kind, "variant": design.variant,
                "error": str(e)}


def run_all(designs, liberty: Path, workdir: Path, jobs: int, period: float,
            booth: bool) -> list[dict]:
    """Synthesize in a pool of ``jobs`` processes, printing progress on stderr."""
    results, start = {}, time.monotonic()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_run_one, d, str(liberty), str(workdir), period, booth): d
                   for d in designs}
        for done, future in enumerate(as_completed(futures), 1):
            r = future.result()
            results[r["key"]] = r
            bar = "#" * (20 * done // len(designs))
            state = ("missing" if "missing" in r else "ERROR" if "error" in r
                     else f"{r['area_nand2']:.0f} NAND2, {r['delay']:.2f}")
            print(f"[{bar:<20}] {done}/{len(designs)} {r['key']}: {state} "
                  f"({time.monotonic() - start:.0f} s)", file=sys.stderr, flush=True)
    return [results[d.key] for d in designs]


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.period <= 0:
        p.error(f"--period must be positive, got {args.period:g}")
    try:
        lib_path = libmod.resolve(args.liberty)
        yosys.yosys_command()
        sta.sta_command()
        lib = libmod.parse(lib_path)
        version = yosys.yosys_version()
    except (libmod.LibraryMissing, yosys.ToolMissing, ValueError) as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    designs = [d for d in all_designs(args.acc_width)
               if args.only is None or fnmatch.fnmatch(d.key, args.only)]
    if not designs:
        p.error(f"--only {args.only!r} matches no design")
    if args.output is None:
        args.output = ROOT / ("reports" if args.only is None else "build/area-subset")
    staged = stage_liberty(lib_path, args.workdir)
    results = run_all(designs, staged, args.workdir, args.jobs, args.period, args.booth)
    meta = {"library": lib.name, "liberty": str(lib_path), "nand2": lib.nand2,
            "nand2_area": lib.nand2_area, "area_unit": "library units (um^2 for OSU018)",
            "time_unit": re.sub(r"^1(?=[a-z])", "", lib.time_unit), "yosys": version,
            "period": args.period, "acc_width": args.acc_width, "booth": args.booth,
            "synth_cmd": ("synth -booth" if args.booth else "synth") + " [-flatten]"}
    for path in write_all(results, meta, args.output):
        print(path)
    for r in results:
        if "missing" in r:
            print(f"missing: {r['key']}: {r['missing']}", file=sys.stderr)
    errors = [r for r in results if "error" in r]
    for r in errors:
        print(f"error: {r['key']}: {r['error']}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
