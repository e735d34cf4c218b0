"""The plain Verilog examples (examples/sa, examples/tc) pass on Icarus and Verilator.

Each example is made as its README says (``examples/make_stimulus.py <arch> -o DIR``) and its
bench built and run under ``iverilog -g2005``, ``iverilog -g2012`` and ``verilator --binary``
(the Verilator build cached by the hash of its sources, :mod:`tests.examples.plain`).  A wrong
line in ``expected.hex`` must make the bench print FAIL and exit non-zero.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples.plain import MODES, simulate

ROOT = Path(__file__).resolve().parents[2]
ARCHS = ("sa", "tc")
PASS = {"sa": "PASS: 20 result rows of 5 tiles", "tc": "PASS: 5 tiles"}

# One worker makes the examples once (the module fixture) and builds each bench once.
pytestmark = pytest.mark.xdist_group("examples")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """``arch -> folder`` with the emitted design, design.vh and the hex files."""
    out = {}
    for arch in ARCHS:
        folder = tmp_path_factory.mktemp(f"example_{arch}")
        done = subprocess.run([sys.executable, str(ROOT / "examples" / "make_stimulus.py"), arch,
                               "-o", str(folder)], capture_output=True, text=True, cwd=ROOT,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert {"design.vh", "stimulus.hex", "expected.hex"} <= {p.name for p in
                                                                  folder.iterdir()}
        out[arch] = folder
    return out


def run(arch: str, mode: str, folder: Path, work: Path):
    sources = [ROOT / "examples" / arch / "tb.v", *sorted((folder / "rtl").glob("*.v"))]
    return simulate(mode, sources, work, f"example_{arch}", includes=[folder], cwd=folder)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("arch", ARCHS)
def test_the_example_passes(arch, mode, made, tmp_path):
    done = run(arch, mode, made[arch], tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 0 and PASS[arch] in out and "FAIL" not in out, out


@pytest.mark.parametrize("mode", ["icarus-2005", "verilator"])
@pytest.mark.parametrize("arch", ARCHS)
def test_a_wrong_result_fails_with_a_nonzero_exit(arch, mode, made, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(made[arch], folder)
    expected = (folder / "expected.hex").read_text().splitlines()
    expected[1] = f"{int(expected[1], 16) ^ 1:0{len(expected[1])}x}"      # one bit of result 1
    (folder / "expected.hex").write_text("\n".join(expected) + "\n")
    done = run(arch, mode, folder, tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "FAIL" in out and "PASS" not in out, out
