"""Helpers of the sweep tests: small sweep files and the CLI in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def write_spec(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


#: A quick area-only sweep: small units (accumulator 8), each synthesized in a few seconds.
QUICK = """
flows = ["area"]
[[points]]
archs = ["sa"]
variants = ["8b8b", "2opt"]
sizes = ["4x4", "8x8"]
acc_widths = [8]
"""


@pytest.fixture
def sweep_cli(tmp_path):
    """Run ``python -m sweep`` with the test's own cache, scratch and report folders."""
    def run(*args, timeout=600, **kw):
        cmd = [sys.executable, "-m", "sweep", *map(str, args), "--cache", str(tmp_path / "cache"),
               "--workdir", str(tmp_path / "work"), "-o", str(tmp_path / "out"),
               "--progress", "lines"]
        env = {**os.environ, "AMARANTH_USE_YOSYS": "builtin"}
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env=env, **kw)
    return run
