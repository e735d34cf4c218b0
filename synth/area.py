"""``make area``: synthesize every unit, time it, write reports/area.{md,csv,json,png}.

Usage: ``python -m synth.area [--liberty PATH] [--jobs N] [--period NS] [--booth]
[--acc-width BITS] [--only GLOB] [-o DIR] [--workdir DIR]`` (docs/area.md).
Designs run in a process pool; a plain-text progress line per design goes to
stderr.  Bad options, a missing tool or library, or an unusable ``--workdir``
or ``-o`` are one line on stderr and exit code 2, before anything is
synthesized.  A design that fails (or whose package is missing) is one line
on stderr naming it and the cause; the report is still written for the
others and says what failed, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from hdl.checks import ACC_WIDTHS
from synth import liberty as libmod
from synth import sta, yosys
from synth.designs import all_designs
from synth.flow import Failure, Record, stage_liberty, synthesize
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
    p.add_argument("--acc-width", type=int, default=32,
                   help=f"accumulator width, {ACC_WIDTHS.start}..{ACC_WIDTHS.stop - 1} "
                        "(default 32)")
    p.add_argument("--only", default=None,
                   help="only designs whose key matches this glob, e.g. 'tru_*'")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="report folder (default reports/, or build/area-subset/ with --only, "
                        "so a partial run never overwrites the committed report)")
    p.add_argument("--workdir", type=Path, default=ROOT / "build" / "synth",
                   help="scratch folder for Verilog, netlists and logs (default build/synth)")
    return p


def _run_one(design, liberty, workdir, period, booth) -> Record:
    """:func:`synthesize`, with any unexpected exception turned into a :class:`Failure`.

    One design's bug (or a half-edited package) must not take the other
    designs' results down with it; its traceback goes to the design's folder.
    """
    try:
        return synthesize(design, liberty, workdir, period, booth)
    except Exception as e:  # noqa: BLE001  (reported per design, traceback kept)
        trace = Path(workdir) / design.key / "traceback.txt"
        try:
            trace.parent.mkdir(parents=True, exist_ok=True)
            trace.write_text(traceback.format_exc())
            where = f" (traceback {trace})"
        except OSError:
            where = ""
        return Failure.of(design, f"{type(e).__name__}: {e}{where}")


def _state(r: Record) -> str:
    """The progress line's verdict on one design."""
    if not r.ok:
        return "missing" if r.missing else "ERROR"
    return f"{r.area_nand2:.0f} NAND2, {r.delay:.2f}"


def run_all(designs, liberty: Path, workdir: Path, jobs: int, period: float,
            booth: bool) -> list[Record]:
    """Synthesize in a pool of ``jobs`` processes, printing progress on stderr."""
    results, start = {}, time.monotonic()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_run_one, d, str(liberty), str(workdir), period, booth): d
                   for d in designs}
        for done, future in enumerate(as_completed(futures), 1):
            design = futures[future]
            try:
                r = future.result()
            except Exception as e:  # noqa: BLE001  (a worker died: BrokenProcessPool)
                r = Failure.of(design, f"worker process: {type(e).__name__}: {e}")
            results[design.key] = r
            bar = "#" * (20 * done // len(designs))
            print(f"[{bar:<20}] {done}/{len(designs)} {design.key}: {_state(r)} "
                  f"({time.monotonic() - start:.0f} s)", file=sys.stderr, flush=True)
    return [results[d.key] for d in designs]


def usable_dir(path: Path) -> Path:
    """``path`` created if needed and writable, as an absolute path.

    Raises
    ------
    OSError
        It cannot be created or written (a file in the way, a read-only or
        pseudo file system such as /proc).
    """
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=path):
        pass
    return path


def _check_args(p: argparse.ArgumentParser, args) -> None:
    """Numeric options, before any tool is looked for (one line, exit 2)."""
    if args.jobs < 1:
        p.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.period <= 0:
        p.error(f"--period must be positive, got {args.period:g}")
    if args.acc_width not in ACC_WIDTHS:
        # The PEs and DP units would reject it one by one, inside the workers.
        p.error(f"--acc-width must be in {ACC_WIDTHS.start}..{ACC_WIDTHS.stop - 1}, "
                f"got {args.acc_width}")


def _report_failures(results: list[Record]) -> int:
    """One stderr line per design not synthesized; the exit code (1 when any)."""
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"{r.status}: {r.key}: {r.reason}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(results)} designs not synthesized; the report lists them",
              file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    _check_args(p, args)
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
    # Both folders are checked before the first design runs, not after the last.
    for option, name in (("--workdir", "workdir"), ("-o/--output", "output")):
        try:
            setattr(args, name, usable_dir(getattr(args, name)))
        except OSError as e:
            p.exit(2, f"{p.prog}: error: {option} {getattr(args, name)} is not a writable "
                      f"folder: {e.strerror or e}\n")
    staged = stage_liberty(lib_path, args.workdir)
    results = run_all(designs, staged, args.workdir, args.jobs, args.period, args.booth)
    meta = {"library": lib.name, "liberty": str(lib_path), "nand2": lib.nand2,
            "nand2_area": lib.nand2_area, "area_unit": "library units (um^2 for OSU018)",
            "time_unit": re.sub(r"^1(?=[a-z])", "", lib.time_unit), "yosys": version,
            "period": args.period, "acc_width": args.acc_width, "booth": args.booth,
            "synth_cmd": ("synth -booth" if args.booth else "synth") + " [-flatten]"}
    try:
        paths = write_all(results, meta, args.output)
    except OSError as e:
        p.exit(2, f"{p.prog}: error: cannot write the report to {args.output}: {e}\n")
    for path in paths:
        print(path)
    return _report_failures(results)


if __name__ == "__main__":
    sys.exit(main())
