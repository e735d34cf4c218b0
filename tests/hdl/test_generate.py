"""The command-line generator: output files, manifest, and one-line errors with exit code 2."""

import json
import shutil
import subprocess
import sys

import pytest

from golden.sparq import Config
from hdl import generate
from hdl.emit import writer
from hdl.emit.naming import module_name
from hdl.generate import main


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
    # Options that a target does not take are refused, for every arch and unit.
    (["--arch", "tc", "--baseline", "8b8b", "--opts", "3"], "takes no SPARQ configuration"),
    (["--arch", "tc", "--unit", "dp", "--baseline", "8b8b", "--no-round"],
     "--baseline 8b8b takes no SPARQ configuration (got --no-round)"),
    (["--arch", "stc", "--baseline", "8b8b", "--bits", "4", "--shifts", "0,4"],
     "--baseline 8b8b takes no SPARQ configuration (got --bits, --shifts)"),
    (["--arch", "tc", "--unit", "dp", "--baseline", "2x4b8b", "--opts", "7", "--no-round"],
     "--baseline 2x4b8b takes no SPARQ configuration (got --opts, --no-round)"),
    (["--unit", "tru", "--baseline", "sysmt"], "--baseline sysmt is not available for --arch "
                                               "sa --unit tru"),
    (["--unit", "tru", "--rows", "4"], "--rows does not apply to --arch sa --unit tru"),
    (["--unit", "tru", "--acc-width", "16"], "--acc-width does not apply"),
    (["--arch", "tc", "--unit", "dp", "--no-round"], "--no-round does not apply to --arch tc"),
    (["--arch", "tc", "--input", "packed"], "--input does not apply to --arch tc"),
    # A negative shift is read as a value, not an option, and refused by the configuration.
    (["--bits", "4", "--shifts", "-1,0,4"], "shift -1 outside 0..4"),
])
def test_bad_values_give_one_line_and_exit_2(tmp_path, args, message):
    result = run_cli(*args, "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_every_parameter_that_changes_a_module_is_in_its_name(tmp_path):
    names = set()
    for args in (["--arch", "tc", "--unit", "dp", "--acc-width", "16"],
                 ["--arch", "tc", "--unit", "dp", "--acc-width", "64"],
                 ["--arch", "stc", "--unit", "dp", "--acc-width", "16"],
                 ["--arch", "stc", "--unit", "dp", "--acc-width", "64"]):
        out = tmp_path / str(len(names))
        assert main([*args, "-o", str(out)]) == 0
        (manifest,) = out.glob("*.json")
        names.add(manifest.stem)
    assert len(names) == 4, names


def _never_build(request):
    raise AssertionError("the builder ran although the output folder is unusable")


def test_output_folder_is_checked_before_generation(monkeypatch, capsys):
    target = generate.TARGETS["sa", "array"]
    monkeypatch.setitem(generate.TARGETS, ("sa", "array"),
                        type(target)(**{**target.__dict__, "build": _never_build}))
    with pytest.raises(SystemExit) as exit_:
        main(["--rows", "512", "-o", "/proc/sparq-nope"])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "cannot write to /proc/sparq-nope" in lines[0]


def test_interrupt_is_one_line_exit_130_and_writes_nothing(tmp_path, monkeypatch, capsys):
    def interrupted(request):
        raise KeyboardInterrupt
    target = generate.TARGETS["sa", "tru"]
    monkeypatch.setitem(generate.TARGETS, ("sa", "tru"),
                        type(target)(**{**target.__dict__, "build": interrupted}))
    with pytest.raises(SystemExit) as exit_:
        main(["--unit", "tru", "-o", str(tmp_path)])
    assert exit_.value.code == 130
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_failed_manifest_move_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    (tmp_path / "sparq_tru_5opt.v").write_text("// an older emission\n")
    real = writer.os.replace

    def replace(src, dst):
        if str(dst).endswith(".json") and "staging" not in str(dst):
            raise OSError(28, "No space left on device")
        return real(src, dst)
    monkeypatch.setattr(writer.os, "replace", replace)
    with pytest.raises(SystemExit) as exit_:
        main(["--unit", "tru", "-o", str(tmp_path)])
    assert exit_.value.code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sparq_tru_5opt.v"]
    assert (tmp_path / "sparq_tru_5opt.v").read_text() == "// an older emission\n"


def test_empty_output_folder_is_refused(tmp_path):
    result = run_cli("--unit", "tru", "-o", "", cwd=tmp_path)
    assert result.returncode == 2 and "the output folder is empty" in result.stderr
    assert list(tmp_path.iterdir()) == []


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
    assert manifest["schema"] == "sparq-manifest/1" and manifest["unit"] == "tru"
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
    first, second = (tmp_path / d / f"{name}.v" for d in ("a", "b"))
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.skipif(shutil.which("iverilog") is None,
                    reason="iverilog not installed (Debian package 'iverilog'; "
                           "make test installs it)")
def test_emitted_tru_compiles_with_iverilog(tmp_path):
    main(["--unit", "tru", "--opts", "6", "-o", str(tmp_path)])
    src = tmp_path / f"{module_name('tru', Config.preset(6))}.v"
    result = subprocess.run(["iverilog", "-o", str(tmp_path / "a.out"), str(src)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
