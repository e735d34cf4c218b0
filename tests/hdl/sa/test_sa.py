"""SA generator: the variant table, the array's parameters and formulas, the CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest
from amaranth import Value
from amaranth.sim import Simulator

from golden.sparq import Config, encode, matmul
from hdl.checks import width_of
from hdl.generate import main
from hdl.sa import PE_VARIANTS, SparqPE, make_pe
from hdl.sa.array import SystolicArray

CFG = Config.preset(3)


def _config_for(cls):
    return CFG if cls.config_rule else None


def _act_beat(cls, a_pair):
    """The ``in_act`` value of one beat, from the variant's own attributes."""
    if cls.takes_words:
        return int(encode(np.array(a_pair), CFG)[0])
    return sum(int(x) << (i * cls.act_bits) for i, x in enumerate(a_pair))


@pytest.mark.parametrize("variant", PE_VARIANTS)
def test_every_variant_computes_its_reference(variant):
    """Each table entry, simulated for one tile, equals its own golden reference."""
    cls = PE_VARIANTS[variant]
    pe = make_pe(variant, _config_for(cls), acc_width=24)
    rng = np.random.default_rng(len(variant))
    k = 3 * cls.k_step
    a = rng.integers(0, 1 << cls.act_bits, (1, k)) * (rng.random((1, k)) < 0.7)
    w = rng.integers(-128, 128, (k, 1))
    assert width_of(pe.signature.members["in_weight"].shape) == 8 * cls.k_step
    if not cls.takes_words:
        assert width_of(pe.signature.members["in_act"].shape) == cls.act_bits * cls.k_step
    results = []

    async def bench(ctx):
        beats = range(0, k, cls.k_step)
        for n, s in enumerate(beats):
            ctx.set(Value.cast(pe.in_act), _act_beat(cls, a[0, s:s + cls.k_step]))
            ctx.set(Value.cast(pe.in_weight), sum((int(v) & 0xFF) << (8 * i)
                                                  for i, v in enumerate(w[s:s + cls.k_step, 0])))
            ctx.set(Value.cast(pe.in_ctl), 1 | (n == 0) << 1 | (n == len(beats) - 1) << 2)
            await ctx.tick()
        ctx.set(Value.cast(pe.in_ctl), 0)
        ctx.set(pe.drain_load, 1)
        await ctx.tick()
        results.append(ctx.get(pe.drain_out))

    sim = Simulator(pe)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert results == [int(cls.reference(a, w, _config_for(cls), 24)[0, 0])]
    assert pe.acc_width == 24 and cls.macs_per_cycle() == cls.k_step


@pytest.mark.parametrize("call, error, message", [
    (lambda: make_pe("tpu"), ValueError,
     f"PE variant must be one of {', '.join(PE_VARIANTS)}, got 'tpu'"),
    (lambda: make_pe("sparq"), TypeError, "config must be a golden.sparq.Config, got None"),
    (lambda: make_pe("8b8b", CFG), ValueError, "the 8b8b PE takes no SPARQ configuration"),
    (lambda: make_pe("8b8b", acc_width=4), ValueError, "acc_width must be in 8..64, got 4"),
    (lambda: make_pe("8b8b", acc_width=True), TypeError, "acc_width must be an int"),
    (lambda: SystolicArray(variant="8b8b", rows=0, cols=2), ValueError, "rows must be >= 1"),
    (lambda: SystolicArray(variant="8b8b", rows=2, cols=2, tile=0), ValueError,
     "tile must be >= 1"),
    (lambda: SystolicArray(variant="8b8b", rows=2, cols=2, input="packed"), ValueError,
     "input 'packed' needs PEs that take pair words"),
])
def test_bad_parameters_name_the_value(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sparq_pe_rejects_a_non_config():
    with pytest.raises(TypeError, match="golden.sparq.Config"):
        SparqPE(config=(4, (0, 4)))


def test_cycle_formulas_worked_example():
    # 4x4 SPARQ (TRU: F = 1): latency 1 + 4 + 4; a K = 32 tile is 16 beats.
    array = SystolicArray(variant="sparq", config=Config.preset(3), rows=4, cols=4)
    assert array.latency == 9 and array.beats(32) == 16 and array.beats(31) == 16
    assert array.tile_cycles(16) == 15 + 9 + 4
    assert array.stream_cycles(4, 16) == 3 * 16 + 28
    assert array.stream_cycles(3, 2) == 2 * 4 + 1 + 9 + 4     # short tiles: drain-bound
    baseline = SystolicArray(variant="8b8b", rows=4, cols=4)
    assert baseline.beats(31) == 31 and baseline.latency == 8


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
    (["--unit", "pe", "--rows", "4"], "--rows does not apply to --arch sa --unit pe"),
    (["--unit", "pe", "--no-round"], "--no-round does not apply to --arch sa --unit pe"),
    (["--rows", "0"], "--rows must be in 1..1024, got 0"),
    (["--cols", "x"], "--cols must be an integer"),
    (["--input", "packed", "--baseline", "8b8b"], "input 'packed' needs PEs that take pair"),
    (["--input", "packed", "--no-round"], "--no-round does not apply"),
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
    assert manifest["unit"] == "array" and manifest["timing"]["latency"] == 1 + 3 + 5
    assert manifest["timing"]["k_step"] == 2
    params = manifest["parameters"]
    assert (params["rows"], params["cols"], manifest["config"]["name"]) == (3, 5, "4opt")
    ports = {p["name"]: (p["dir"], p["width"]) for p in manifest["ports"]}
    assert ports["in_act"] == ("in", 3 * 16) and ports["in_weight"] == ("in", 5 * 16)
    assert ports["out_row"] == ("out", 5 * 32)
    for name in manifest["files"]:
        text = (tmp_path / name).read_text()
        assert f"module {name[:-2]}(" in text       # one file per module, named after it
    assert "sparq_sa_pe_4opt_acc32.v" in manifest["files"]


def test_packed_input_array_is_emitted_without_trus(tmp_path):
    assert main(["--input", "packed", "--rows", "2", "-o", str(tmp_path)]) == 0
    top = "sparq_sa_array_5opt_2x2_acc32_packed"
    manifest = json.loads((tmp_path / f"{top}.json").read_text())
    ports = {p["name"]: p["width"] for p in manifest["ports"]}
    assert ports["in_act"] == 2 * Config.preset(5).word_width
    assert manifest["timing"]["latency"] == 2 + 2 and manifest["parameters"]["input"] == "packed"
    assert not [f for f in manifest["files"] if f.startswith("sparq_tru_")]


def test_emission_is_deterministic(tmp_path):
    for out in ("a", "b"):
        assert main(["--baseline", "sysmt", "--rows", "2", "-o", str(tmp_path / out)]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
