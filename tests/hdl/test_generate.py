"""The command-line generator: output files, manifest, and one-line errors with exit code 2."""

import json
import shutil
import subprocess
import sys

import pytest

from golden.sparq import Config
from hdl.generate import main, module_name


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hdl.generate", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_help_exits_zero():
    result = run_cli("--help")
    assert result.returncode == 0 and "--opts" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--opts", "8"], "--opts must be in 2..7, got 8"),
    (["--opts", "five"], "--opts must be an integer"),
    (["--bits", "3", "--shifts", "0,5"], "missing [1, 2, 3, 4]"),
    (["--bits", "4"], "--bits and --shifts go together"),
    (["--shifts", "0,x"], "comma-separated integers"),
    (["--arch", "gpu"], "invalid choice: 'gpu'"),
    (["--acc-width", "4"], "--acc-width must be in 8..64"),
])
def test_bad_values_give_one_line_and_exit_2(tmp_path, args, message):
    result = run_cli(*args, "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unwritable_output_is_one_line_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("--unit", "tru", "-o", str(blocker))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args, cfg", [
    (["--opts", "3"], Config.preset(3)),
    (["--opts", "7", "--no-round"], Config.preset(7, rounding=False)),
    (["--bits", "4", "--shifts", "4,0,1"], Config(4, (0, 1, 4))),
])
def test_tru_emission_and_manifest(tmp_path, args, cfg):
    assert main(["--unit", "tru", *args, "-o", str(tmp_path)]) == 0
    name = module_name("tru", cfg)
    manifest = json.loads((tmp_path / f"{name}.json").read_text())
    assert manifest["top"] == name and manifest["files"] == [f"{name}.v"]
    assert manifest["config"]["shifts"] == list(cfg.shifts)
    assert manifest["config"]["rounding"] == cfg.rounding
    ports = {p["name"]: p["width"] for p in manifest["ports"]}
    assert ports["out_word"] == cfg.word_width and ports["in_pair"] == 16
    verilog = (tmp_path / f"{name}.v").read_text()
    assert f"module {name}(" in verilog
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]


def test_emission_is_deterministic(tmp_path):
    main(["--unit", "tru", "--opts", "5", "-o", str(tmp_path / "a")])
    main(["--unit", "tru", "--opts", "5", "-o", str(tmp_path / "b")])
    name = module_name("tru", Config.preset(5))
    assert (tmp_path / "a" / f"{name}.v").read_bytes() == (tmp_path / "b" / f"{name}.v").read_bytes()


@pytest.mark.skipif(shutil.which("iverilog") is None,
                    reason="iverilog not installed (Debian package 'iverilog'; make test installs it)")
def test_emitted_tru_compiles_with_iverilog(tmp_path):
    main(["--unit", "tru", "--opts", "6", "-o", str(tmp_path)])
    src = tmp_path / f"{module_name('tru', Config.preset(6))}.v"
    result = subprocess.run(["iverilog", "-o", str(tmp_path / "a.out"), str(src)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
