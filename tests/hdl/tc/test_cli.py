"""The tensor-core entries of the CLI: ``--arch tc|stc --unit dp|array``.

The Verilog the array entries write is the one the cocotb regressions run
(both come from :func:`hdl.tc.build.emit_array`); here: files, manifests and
one-line errors with exit code 2.
"""

import json
import re

import pytest

from hdl.generate import main


def emitted(tmp_path, *args):
    assert main([*args, "-o", str(tmp_path)]) == 0
    (manifest,) = tmp_path.glob("*.json")
    return json.loads(manifest.read_text())


@pytest.mark.parametrize("args, top, ports", [
    # 8b8b: 4 x 8-bit a and b; 2x4b8b: 8 x 4-bit a, 8 x 8-bit b; 5opt: 4 words of 2 x 8 bits.
    (["--arch", "tc", "--unit", "dp", "--baseline", "8b8b"], "sparq_tc_dp_8b8b_acc32",
     {"in_a": 32, "in_b": 32, "in_c": 32, "out_d": 32}),
    (["--arch", "tc", "--unit", "dp", "--baseline", "2x4b8b", "--acc-width", "20"],
     "sparq_tc_dp_2x4b8b_acc20", {"in_a": 32, "in_b": 64, "in_c": 20, "out_d": 20}),
    (["--arch", "tc", "--unit", "dp", "--opts", "5"], "sparq_tc_dp_5opt_acc32",
     {"in_words": 64, "in_b": 64}),
    # STC units: dense a of 8 (baseline) or 16 (SPARQ), half as many compressed weights.
    (["--arch", "stc", "--unit", "dp", "--opts", "2", "--no-round"],
     "sparq_stc_dp_2opt_trim_acc32", {"in_a": 128, "in_values": 64, "in_positions": 16}),
    (["--arch", "stc", "--unit", "dp", "--baseline", "8b8b"], "sparq_stc_dp_8b8b_acc32",
     {"in_a": 64, "in_values": 32, "in_positions": 8}),
])
def test_dp_emission(tmp_path, args, top, ports):
    manifest = emitted(tmp_path, *args)
    assert manifest["top"] == top and manifest["files"] == [f"{top}.v"]
    widths = {p["name"]: p["width"] for p in manifest["ports"]}
    assert {k: widths[k] for k in ports} == ports
    text = (tmp_path / f"{top}.v").read_text()
    assert re.search(rf"^module {top}\(", text, re.M)
    # Every variant keeps its multipliers as Multiplier instances (area breakdown).
    assert len(re.findall(rf"^module \\{top}\.[\w.]*mult_\w+ ", text, re.M)) >= 4


@pytest.mark.parametrize("args, top, rows, cols, k_step, latency", [
    (["--arch", "tc"], "sparq_tc_array_5opt_4x4_acc32", 4, 4, 8, 2),
    (["--arch", "tc", "--baseline", "8b8b", "--rows", "2", "--cols", "8"],
     "sparq_tc_array_8b8b_2x8_acc32", 2, 8, 4, 1),
    (["--arch", "stc", "--opts", "3", "--rows", "3", "--acc-width", "24"],
     "sparq_stc_array_3opt_3x3_acc24", 3, 3, 16, 2),
    (["--arch", "stc", "--baseline", "8b8b", "--unit", "array"],
     "sparq_stc_array_8b8b_4x4_acc32", 4, 4, 8, 1),
])
def test_array_emission(tmp_path, args, top, rows, cols, k_step, latency):
    manifest = emitted(tmp_path, *args)
    assert manifest["top"] == top
    params, timing = manifest["parameters"], manifest["timing"]
    assert (params["rows"], params["cols"], timing["k_step"], timing["latency"]) == \
        (rows, cols, k_step, latency)
    widths = {p["name"]: p["width"] for p in manifest["ports"]}
    acc = params["acc_width"]
    assert widths["in_a"] == rows * k_step * 8 and widths["out_d"] == rows * cols * acc
    assert len(manifest["files"]) >= 3           # the array, its row and DP modules at least
    for name in manifest["files"]:       # each file holds the module it is named after
        stem = name.removesuffix(".v")
        assert re.search(rf"^module {stem}\(", (tmp_path / name).read_text(), re.M), name
    # The row and DP modules are written once: rows x row instances, cols x DP per row.
    top_text = (tmp_path / f"{top}.v").read_text()
    assert len(re.findall(r"^\s*\\?sparq_\w*_row_\w+ \\?row_\d+ ", top_text, re.M)) == rows
    (row_file,) = [f for f in manifest["files"] if "_row_" in f]
    row_text = (tmp_path / row_file).read_text()
    assert len(re.findall(r"^\s*\\?sparq_tc_dp_\w+ \\?dp_c\d+ ", row_text, re.M)) == cols


@pytest.mark.parametrize("args, message", [
    (["--arch", "tc", "--baseline", "sysmt"], "--baseline sysmt is not available for --arch tc"),
    (["--arch", "tc", "--baseline", "2x4b8b"], "allowed: 8b8b"),
    (["--arch", "stc", "--unit", "dp", "--baseline", "2x4b8b"], "allowed: 8b8b"),
    (["--arch", "tc", "--rows", "257"], "--rows must be in 1..256 for --arch tc --unit array"),
    (["--arch", "stc", "--cols", "300"], "--cols must be in 1..256"),
    (["--arch", "tc", "--unit", "dp", "--rows", "2"], "--rows does not apply to --arch tc "
                                                       "--unit dp"),
    (["--arch", "stc", "--unit", "pe"], "--unit pe is not available for --arch stc"),
])
def test_bad_combinations_give_one_line_and_exit_2(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        main([*args, "-o", str(tmp_path / "out")])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("arch", ["tc", "stc"])
def test_tiles_past_amaranths_port_limit_emit(tmp_path, arch):
    """64 x 64: in_c alone is 131,072 bits, more than one Amaranth netlist value holds;
    the top is structural Verilog (a 44 x 44 one is simulated in the slow suite)."""
    manifest = emitted(tmp_path, "--arch", arch, "--rows", "64", "--cols", "64")
    widths = {p["name"]: p["width"] for p in manifest["ports"]}
    assert widths["in_c"] == widths["out_d"] == 64 * 64 * 32
    top = (tmp_path / f"{manifest['top']}.v").read_text()
    rows = re.findall(r"^  (sparq_\w+_row_\w+) row_(\d+) \($", top, re.M)
    assert [int(r) for _, r in rows] == list(range(64))
    assert f"{rows[0][0]}.v" in manifest["files"]
    # Row r takes bits [r * 2048, (r + 1) * 2048) of in_c and out_d.
    assert ".in_c(in_c[131071:129024])" in top and ".out_d(out_d[2047:0])" in top
