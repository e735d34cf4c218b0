"""The tensor core against the golden model: every preset x rounding on Icarus, a subset on Verilator."""

import zlib

import pytest

from golden.sparq import PRESETS, Config
from hdl.generate import module_name
from hdl.tc.array import TensorCore
from verif.harness import emit, run_bench

CASES = [pytest.param("sparq", Config.preset(o, rounding=r), 4, 4, 32, "icarus",
                      id=f"{Config.preset(o, rounding=r).name}-icarus")
         for o in sorted(PRESETS) for r in (True, False)]
CASES += [
    pytest.param("8b8b", None, 4, 4, 32, "icarus", id="8b8b-icarus"),
    # A custom configuration, a non-square tile and a narrow accumulator that wraps.
    pytest.param("sparq", Config(4, (0, 1, 4)), 2, 3, 16, "icarus", id="n4-s0.1.4-2x3-acc16-icarus"),
    pytest.param("8b8b", None, 3, 2, 16, "icarus", id="8b8b-3x2-acc16-icarus"),
    pytest.param("sparq", Config.preset(5), 4, 4, 32, "verilator", id="5opt-verilator"),
    pytest.param("sparq", Config.preset(7, rounding=False), 4, 4, 32, "verilator",
                 id="7opt-trim-verilator"),
    pytest.param("8b8b", None, 4, 4, 32, "verilator", id="8b8b-verilator"),
]


@pytest.mark.parametrize("variant, cfg, rows, cols, acc_width, sim", CASES)
def test_tc_array_random_tiles(variant, cfg, rows, cols, acc_width, sim):
    tc = TensorCore(variant=variant, config=cfg, rows=rows, cols=cols, acc_width=acc_width)
    name = module_name("tc_array", cfg, f"{rows}x{cols}", f"acc{acc_width}",
                       *(["8b8b"] if cfg is None else []))
    source = emit(tc, name)
    run_bench(sim, [source], name, "verif.tb_tc_array", args={
        "bits": cfg and cfg.bits, "shifts": cfg and list(cfg.shifts),
        "rounding": cfg and cfg.rounding, "rows": rows, "cols": cols, "acc_width": acc_width,
        "k_step": tc.k_step, "latency": tc.latency, "seed": zlib.crc32(name.encode()), "tiles": 12,
    }, testcase="random_tiles")
