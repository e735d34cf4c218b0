"""SA generator: the PE factory, the array's parameters and formulas, the CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.sparq import Config, matmul
from hdl.generate import main
from hdl.sa import PE_VARIANTS, SparqPE, make_pe
from hdl.sa.array import SystolicArray, pairs_per_tile


@pytest.mark.parametrize("variant", PE_VARIANTS)
def test_make_pe_builds_every_variant(variant):
    pe = make_pe(variant, Config.preset(3), acc_width=24)
    assert pe.acc_width == 24 and pe.signature.members["drain_out"].shape.width == 24


@pytest.mark.parametrize("call, message", [
    (lambda: make_pe("tpu"), "PE variant must be one of 8b8b, 2x4b8b, sparq, sysmt"),
    (lambda: make_pe("sparq"), "the sparq PE needs a config"),
    (lambda: make_pe("8b8b", acc_width=4), "acc_width must be an int in 8..64"),
    (lambda: SystolicArray(variant="8b8b", rows=0, cols=2), "rows must be a positive int"),
    (lambda: SystolicArray(variant="8b8b", rows=2, cols=2, tile=0), "tile must be a positive"),
])
def test_bad_parameters_name_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sparq_pe_rejects_a_non_config():
    with pytest.raises(TypeError, match="golden.sparq.Config"):
        SparqPE(config=(4, (0, 4)))


def test_cycle_formulas_worked_example():
    # 4x4 SPARQ (TRU: F = 1): latency 1 + 4 + 4; a K = 32 tile is 16 beats.
    array = SystolicArray(variant="sparq", config=Config.preset(3), rows=4, cols=4)
    assert array.latency == 9 and pairs_per_tile("sparq", 32) == 16
    assert array.tile_cycles(16) == 15 + 9 + 4
    assert array.stream_cycles(4, 16) == 3 * 16 + 28
    assert array.stream_cycles(3, 2) == 2 * 4 + 1 + 9 + 4     # short tiles: drain-bound


def test_flat_array_in_amaranth_sim_matches_golden():
    """The flat (non-Instance) array, so Amaranth's simulator sees every PE."""
    cfg, rows, cols = Config.preset(5), 2, 3
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (rows, 5)) * (rng.random((rows, 5)) < 0.6)
    w = rng.integers(-128, 128, (5, cols))
    array = SystolicArray(variant="sparq", config=cfg, rows=rows, cols=cols)
    a_pad, w_pad = np.pad(a, ((0, 0), (0, 1))), np.pad(w, ((0, 1), (0, 0)))
    got = []

    async def bench(ctx):
        for k in range(3):
            ctx.set(array.in_valid, 1)
            ctx.set(array.in_first, k == 0)
            ctx.set(array.in_last, k == 2)
            for i in range(rows):
                ctx.set(array.in_act[i], [int(a_pad[i, 2 * k]), int(a_pad[i, 2 * k + 1])])
            for j in range(cols):
                ctx.set(array.in_weight[j], [int(w_pad[2 * k, j]), int(w_pad[2 * k + 1, j])])
            await ctx.tick()
        ctx.set(array.in_valid, 0)
        for _ in range(array.latency + rows):
            await ctx.tick()
            if ctx.get(array.out_valid):
                got.append([ctx.get(array.out_row[j]) for j in range(cols)])

    sim = Simulator(array)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == matmul(a, w, cfg).tolist()


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "hdl.generate", *args],
                          capture_output=True, text=True)


@pytest.mark.parametrize("args, message", [
    (["--baseline", "8b8b", "--opts", "3"], "--baseline 8b8b takes no SPARQ configuration"),
    (["--baseline", "sysmt", "--no-round"], "--baseline sysmt takes no SPARQ configuration"),
    (["--unit", "pe", "--rows", "4"], "--rows/--cols size an array, not a PE"),
    (["--rows", "0"], "--rows must be in 1..1024, got 0"),
    (["--cols", "x"], "--cols must be an integer"),
])
def test_bad_sa_options_one_line_exit_2(tmp_path, args, message):
    result = run_cli(*args, "-o", str(tmp_path / "out"))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_array_manifest_and_files(tmp_path):
    assert main(["--opts", "4", "--rows", "3", "--cols", "5", "-o", str(tmp_path)]) == 0
    top = "sparq_sa_array_4opt_3x5_acc32"
    manifest = json.loads((tmp_path / f"{top}.json").read_text())
    assert manifest["unit"] == "array" and manifest["latency"] == 1 + 3 + 5
    assert (manifest["rows"], manifest["cols"], manifest["config"]["name"]) == (3, 5, "4opt")
    ports = {p["name"]: (p["dir"], p["width"]) for p in manifest["ports"]}
    assert ports["in_act"] == ("in", 3 * 16) and ports["in_weight"] == ("in", 5 * 16)
    assert ports["out_row"] == ("out", 5 * 32)
    for name in manifest["files"]:
        text = (tmp_path / name).read_text()
        assert f"module {name[:-2]}(" in text       # one file per module, named after it
    assert "sparq_sa_pe_4opt_acc32.v" in manifest["files"]


def test_emission_is_deterministic(tmp_path):
    for out in ("a", "b"):
        assert main(["--baseline", "sysmt", "--rows", "2", "-o", str(tmp_path / out)]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
