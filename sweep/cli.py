"""``python -m sweep``: a design-space sweep on a Dask cluster (docs/sweep.md).

Exit codes: 0 every point computed; 1 one or more points failed (the report
lists them with their logs) or the scheduler went away (rerun to resume); 2 a
bad option or sweep file, a missing tool on a worker, no cluster; 130 Ctrl-C
(the cache keeps what was done: rerun to resume).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

from sweep import cluster, flows
from sweep.cache import Cache
from sweep.engine import Engine, Interrupted
from sweep.progress import Reporter, fmt_seconds
from sweep.spec import DEFAULT_FILE, SpecError, load

__all__ = ["main", "parser"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "build" / "sweep" / "cache"
DEFAULT_WORKDIR = ROOT / "build" / "sweep" / "work"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _csv(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _csv_of(kind, what: str):
    """An argparse type: a comma-separated list of ``kind`` values."""
    def parse(text: str) -> list:
        try:
            return [kind(v) for v in _csv(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of "
                                             f"{what}") from None
    return parse


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m sweep", formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Sweep SPARQ design points (archs, variants, sizes, accumulator "
                            "widths, libraries, clocks) through the area and energy flows on "
                            "a Dask cluster; write reports/sweep.{md,json,csv} and Pareto "
                            "plots.",
                epilog="A command-line value replaces that key in every group of the file. "
                       "Without a file or point options: the default sweep "
                       f"({DEFAULT_FILE.relative_to(ROOT)}), reported to reports/.  "
                       "docs/sweep.md has the file format and the cluster set-ups.")
    p.add_argument("spec", nargs="?", type=Path, default=None,
                   help="sweep file (TOML); see docs/sweep.md")
    g = p.add_argument_group("design points (comma-separated lists)")
    g.add_argument("--archs", type=_csv, help=f"{', '.join(flows.ARCHS)}")
    g.add_argument("--variants", type=_csv,
                   help="8b8b, 2x4b8b, sysmt, presets 2opt..7opt (-trim: no rounding), "
                        "custom n<bits>-s<shifts> (e.g. n4-s0.1.4)")
    g.add_argument("--sizes", type=_csv, help="ROWSxCOLS or N (square), e.g. 16x16,128x128")
    g.add_argument("--acc-widths", type=_csv_of(int, "ints"), help="accumulator widths, 8..64")
    g.add_argument("--liberties", type=_csv,
                   help="liberty files, or 'default' ($SPARQ_LIBERTY or the OSU018 cells)")
    g.add_argument("--periods", type=_csv_of(float, "numbers"),
                   help="clock periods (ns), e.g. 10,5")
    f = p.add_argument_group("what to compute")
    f.add_argument("--flows", type=_csv,
                   help="area, power, networks, accuracy; default: area")
    f.add_argument("--networks", type=_csv,
                   help="networks for flow 'networks' (python -m workloads.networks: resnet18, "
                        "resnet34, resnet50, resnet101, googlenet, inception_v3, densenet121, "
                        "mobilenet_v2, vgg16)")
    f.add_argument("--batch", type=int, default=None,
                   help="networks: images a batch (default 1)")
    f.add_argument("--models", type=_csv,
                   help="trained Fashion-MNIST models for flow 'accuracy' (cnn, resnet, "
                        "mobilenet)")
    f.add_argument("--cycles", type=int, default=None,
                   help="power: cycles per stream, at least 100 (default 3000, as make power)")
    f.add_argument("--images", type=int, default=None,
                   help="power: test images feeding the real stream (default 16)")
    c = p.add_argument_group("where it runs")
    c.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="an existing Dask scheduler (default: a LocalCluster on this machine)")
    c.add_argument("--workers", type=int, default=2,
                   help="LocalCluster worker processes (default 2); 0 runs every piece in "
                        "this process, one after another")
    c.add_argument("--threads-per-worker", type=int, default=1,
                   help="LocalCluster threads per worker (default 1)")
    c.add_argument("--dashboard", default="127.0.0.1:8787", metavar="HOST:PORT",
                   help="LocalCluster dashboard address (default 127.0.0.1:8787; another "
                        "port when taken)")
    c.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                   help="result cache (default build/sweep/cache; a shared folder on a "
                        "cluster)")
    c.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                   help="scratch folders of the pieces, on each worker (default "
                        "build/sweep/work)")
    o = p.add_argument_group("output")
    o.add_argument("-o", "--output", type=Path, default=None,
                   help="report folder (default reports/ for the default sweep, else "
                        "build/sweep/)")
    o.add_argument("--progress", choices=("auto", "bar", "lines"), default="auto",
                   help="a bar on a terminal, plain lines otherwise (default auto)")
    o.add_argument("--list", action="store_true",
                   help="print the design points and exit (nothing runs)")
    return p


_POINT_OPTS = ("archs", "variants", "sizes", "acc_widths", "liberties", "periods", "flows",
               "networks", "models", "cycles", "images", "batch")


def _check(p, a) -> None:
    if a.workers < 0:
        p.error(f"--workers must be at least 0, got {a.workers}")
    if a.threads_per_worker < 1:
        p.error(f"--threads-per-worker must be at least 1, got {a.threads_per_worker}")
    if a.scheduler is not None:
        for flag, given in (("--workers", a.workers != 2),
                            ("--threads-per-worker", a.threads_per_worker != 1),
                            ("--dashboard", a.dashboard != "127.0.0.1:8787")):
            if given:
                p.error(f"{flag} applies to the LocalCluster, not to --scheduler "
                        "(the cluster's workers are started on their own)")
        if not a.scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            p.error(f"--scheduler {a.scheduler!r} is not an address such as tcp://HOST:8786")


def _writable(p, option: str, path: Path) -> Path:
    path = path.resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        p.exit(2, f"{p.prog}: error: {option} {path} is not a writable folder: "
                  f"{e.strerror or e}\n")
    return path


def _kinds(sweep) -> set:
    kinds = set()
    if {"area", "power"} & set(sweep.flows):
        kinds |= {"emit", "synth"}
    if "power" in sweep.flows:
        kinds |= {"streams", "power"}
    return kinds | ({"networks", "accuracy"} & set(sweep.flows))


def _command(argv) -> str:
    return "python -m sweep" + ("".join(f" {shlex.quote(a)}" for a in argv) if argv else "")


def _run(a, sweep, out: Path, reporter: Reporter, argv) -> int:
    cache = Cache(a.cache)
    t0 = time.monotonic()
    ctx = (contextlib.nullcontext(None) if a.workers == 0 and a.scheduler is None else
           cluster.client(a.scheduler, a.workers, a.threads_per_worker, a.dashboard))
    with ctx as c:
        if c is None:
            reporter.line("sweep: serial, in this process (--workers 0)")
            found = flows.check_tools(sorted({t for k in _kinds(sweep) for t in flows.TOOLS[k]}))
            if found["missing"]:
                raise cluster.ClusterError("missing: " + "; ".join(
                    f"{t} ({why})" for t, why in found["missing"].items()))
            versions = found["versions"]
        else:
            where = (f"scheduler {a.scheduler}" if a.scheduler else
                     f"LocalCluster of {a.workers} workers")
            link = cluster.dashboard(c)
            reporter.line(f"sweep: {where}; dashboard {link or 'not served (install bokeh)'}")
            versions = cluster.check_workers(c, _kinds(sweep))
        engine = Engine(sweep, c, cache, a.workdir, versions, reporter)
        results = engine.run()
    meta = {"command": _command(argv), "flows": sweep.flows, "tools": versions,
            "cycles": sweep.cycles if "power" in sweep.flows else None,
            "images": sweep.images if "power" in sweep.flows else None,
            "networks": sweep.networks or None, "models": sweep.models or None,
            "batch": sweep.batch if "networks" in sweep.flows else None}
    from sweep.report import write_all
    try:
        paths = write_all(results, sweep, meta, out)
    except OSError as e:
        print(f"python -m sweep: error: cannot write the report to {out}: {e}", file=sys.stderr)
        return 2
    failed = [r for r in results if r.state == "failed"]
    n = engine.counts
    reporter.line(f"sweep: {len(results)} points, {len(failed)} failed; pieces: "
                  f"{n['computed']} computed, {n['cached']} from the cache, {n['failed']} "
                  f"failed; {fmt_seconds(time.monotonic() - t0)}")
    for path in paths:
        print(path)
    return 1 if failed else 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = parser()
    a = p.parse_args(argv)
    _check(p, a)
    overrides = {k: getattr(a, k) for k in _POINT_OPTS}
    default = a.spec is None and all(v is None for v in overrides.values())
    try:
        sweep = load(DEFAULT_FILE if default else a.spec, overrides)
    except SpecError as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    if a.list:
        for point in sweep.points:
            print(f"{point.label}  {point.liberty}  {point.period:g} ns")
        return 0
    out = a.output or ROOT / ("reports" if default else "build/sweep")
    out = _writable(p, "-o/--output", out)
    a.cache = _writable(p, "--cache", a.cache)
    a.workdir = _writable(p, "--workdir", a.workdir) if a.scheduler is None else a.workdir
    reporter = Reporter(a.progress)
    try:
        return _run(a, sweep, out, reporter, argv)
    except cluster.ClusterError as e:
        reporter.stop()
        p.exit(2, f"{p.prog}: error: {e}\n")
    except Interrupted as e:
        reporter.stop()
        print(f"sweep: stopped: {e}; what was done is in the cache ({a.cache}): run the same "
              "command again to resume", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # A second Ctrl-C while the cluster closes must not print a traceback either.
        signal.signal(signal.SIGINT, lambda *_: os._exit(130))
        reporter.stop()
        print(f"sweep: interrupted; every piece finished so far is in the cache ({a.cache}): "
              "run the same command again to resume", file=sys.stderr, flush=True)
        return 130
