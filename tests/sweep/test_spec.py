"""Sweep descriptions: TOML and command line, and every refusal as one line (exit code 2)."""

import pytest

from sweep import flows
from sweep.spec import DEFAULT_FILE, SpecError, load
from tests.sweep.conftest import write_spec


def test_groups_are_products_and_their_union(tmp_path):
    spec = write_spec(tmp_path / "s.toml", """
flows = ["area"]
acc_widths = [16]
[[points]]
archs = ["sa"]
variants = ["8b8b", "5opt"]
sizes = ["4x4", 8]
[[points]]
archs = ["tc"]
variants = ["5opt"]
sizes = ["2x6"]
acc_widths = [32]
""")
    s = load(spec)
    got = [(p.arch, p.variant, p.rows, p.cols, p.acc_width) for p in s.points]
    assert got == [("sa", "8b8b", 4, 4, 16), ("sa", "8b8b", 8, 8, 16), ("sa", "5opt", 4, 4, 16),
                   ("sa", "5opt", 8, 8, 16), ("tc", "5opt", 2, 6, 32)]
    assert all(p.liberty == flows.default_liberty() and p.period == 10.0 for p in s.points)


def test_command_line_replaces_a_key_in_every_group(tmp_path):
    spec = write_spec(tmp_path / "s.toml", """
[[points]]
variants = ["8b8b"]
sizes = ["4x4"]
[[points]]
variants = ["3opt"]
sizes = ["8x8"]
""")
    s = load(spec, {"sizes": ["2x3"], "periods": [5.0]})
    assert [(p.variant, p.rows, p.cols, p.period) for p in s.points] == [
        ("8b8b", 2, 3, 5.0), ("3opt", 2, 3, 5.0)]


def test_a_point_listed_twice_is_one_point(tmp_path):
    spec = write_spec(tmp_path / "s.toml", """
[[points]]
variants = ["5opt"]
[[points]]
variants = ["5opt", "8b8b"]
""")
    assert [p.variant for p in load(spec).points] == ["5opt", "8b8b"]


def test_relative_liberty_is_relative_to_the_file(tmp_path):
    spec = write_spec(tmp_path / "s.toml", 'liberties = ["libs/my.lib"]\nvariants = ["8b8b"]\n')
    assert load(spec).points[0].liberty == str(tmp_path / "libs" / "my.lib")


def test_default_sweep_loads():
    s = load(DEFAULT_FILE)
    assert s.flows == ["area", "power", "networks", "accuracy"] and len(s.points) == 12
    assert (s.networks, s.models, s.batch) == (["resnet50"], ["cnn"], 1)


@pytest.mark.parametrize("text, message", [
    ('variants = ["9opt"]', "variant '9opt': opts must be in 2..7"),
    ('variants = ["fast"]', "variant 'fast' is not available for arch sa"),
    ('archs = ["tc"]\nvariants = ["sysmt"]', "variant 'sysmt' is not available for arch tc"),
    ('variants = ["n4-s0.1"]', "variant 'n4-s0.1'"),
    ('variants = ["8b8b"]\nsizes = ["0x4"]', "rows must be in 1..1024"),
    ('archs = ["tc"]\nvariants = ["8b8b"]\nsizes = ["300x4"]', "rows must be in 1..256"),
    ('variants = ["8b8b"]\nsizes = ["4by4"]', "is not ROWSxCOLS"),
    ('variants = ["8b8b"]\nacc_widths = [7]', "acc width 7 must be an int in 8..64"),
    ('variants = ["8b8b"]\nperiods = [0]', "period must be positive"),
    ('archs = ["gpu"]\nvariants = ["8b8b"]', "arch 'gpu' is not one of sa, tc, stc"),
    ('variant = ["8b8b"]', "unknown key 'variant'"),
    ('variants = ["8b8b"]\nflows = ["networks"]', "flow 'networks' needs networks"),
    ('variants = ["8b8b"]\nflows = ["accuracy"]', "flow 'accuracy' needs models"),
    ('variants = ["8b8b"]\nflows = ["networks"]\nnetworks = ["lenet"]',
     "networks: 'lenet' is not one of resnet18"),
    ('variants = ["8b8b"]\nflows = ["accuracy"]\nmodels = ["vgg"]',
     "models: 'vgg' is not one of cnn, resnet, mobilenet"),
    ('variants = ["8b8b"]\nflows = ["networks"]\nnetworks = ["vgg16"]\nbatch = 0',
     "batch must be"),
    ('variants = ["8b8b"]\nbatch = 8', "batch applies only to flow 'networks'"),
    ('variants = ["8b8b"]\nflows = ["timing"]', "flow 'timing' is not one of"),
    ('variants = ["8b8b"]\nmodels = ["fmnist"]', "models apply only to flow 'accuracy'"),
    ('variants = ["8b8b"]\n[power]\ncycles = 500', "cycles applies only to flow 'power'"),
    ('variants = ["8b8b"]\nflows = ["power"]\n[power]\ncycles = 50', "cycles must be at least 100"),
    ('variants = ["n4-s0.1.4"]\nflows = ["power"]', "flow 'power' on arch sa takes a baseline"),
    ('variants = ["3opt-trim"]\nflows = ["power"]', "flow 'power' on arch sa takes a baseline"),
    ('[[points]]\nvariants = ["8b8b"]\nflows = ["area"]', "'flows' is not a group key"),
    ('sizes = []\nvariants = ["8b8b"]', "sizes is empty"),
    ('archs = ["sa"]', "no variants"),
    ('variants = [', "not valid TOML"),
])
def test_bad_sweeps_are_one_line(tmp_path, text, message):
    spec = write_spec(tmp_path / "s.toml", text + "\n")
    with pytest.raises(SpecError) as e:
        load(spec)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_custom_and_trim_configurations_are_area_points():
    s = load(None, {"variants": ["n4-s0.1.4", "3opt-trim"]})
    assert [p.variant for p in s.points] == ["n4-s0.1.4", "3opt-trim"]


@pytest.mark.parametrize("args, message", [
    (["--variants", "8b8b", "--workers", "-1"], "--workers must be at least 0"),
    (["--variants", "8b8b", "--scheduler", "tcp://h:1", "--workers", "4"],
     "--workers applies to the LocalCluster"),
    (["--variants", "8b8b", "--scheduler", "h:8786"], "is not an address"),
    (["--variants", "8b8b", "--acc-widths", "x"], "is not a comma-separated list of ints"),
    (["--variants", "8b8b", "--flows", "networks"], "flow 'networks' needs networks"),
    (["missing.toml"], "cannot read the sweep file missing.toml"),
])
def test_cli_refusals(sweep_cli, args, message):
    proc = sweep_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_cli_list_prints_the_points(sweep_cli):
    proc = sweep_cli("--variants", "8b8b,5opt", "--sizes", "4x4", "--list")
    assert proc.returncode == 0, proc.stderr
    assert [line.split("  ")[0] for line in proc.stdout.splitlines()] == [
        "sa 4x4 8b8b acc32", "sa 4x4 5opt acc32"]


def test_help_lists_every_option(sweep_cli):
    from sweep.cli import parser
    proc = sweep_cli("--help")
    assert proc.returncode == 0
    for action in parser()._actions:
        for flag in action.option_strings:
            assert flag in proc.stdout
