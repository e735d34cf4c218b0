"""Lint as part of the suite: ruff and the import contracts ([tool.ruff] and [tool.importlinter]
in pyproject.toml; `make lint` runs the same two commands)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def tool(name):
    """The console script installed next to this interpreter (the venv's), else one on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.is_file() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it is in the `test` extra: make test installs it)")
    return found


def run(*cmd):
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        shown = " ".join([Path(cmd[0]).name, *cmd[1:]])
        pytest.fail(f"`{shown}` failed (exit {done.returncode}):\n{output}", pytrace=False)


def top_level_packages():
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests")


def test_ruff():
    run(tool("ruff"), "check", "--no-cache", "--output-format", "concise", ".")


def test_import_contracts():
    run(tool("lint-imports"), "--no-cache")


def test_every_package_is_under_contract():
    """import-linter only sees root_packages: a package missing there would escape the layers."""
    listed = set(PYPROJECT["tool"]["importlinter"]["root_packages"])
    missing = [p for p in top_level_packages() if p not in listed]
    assert not missing, (f"add {missing} to root_packages in [tool.importlinter] of pyproject.toml "
                         "(and to its layers contract)")


def test_every_package_is_installed():
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    missing = [p for p in top_level_packages() if p not in include]
    assert not missing, f"add {missing} to [tool.setuptools.packages.find] in pyproject.toml"
