"""The 2:4 sparse tensor core against the golden model: every preset x rounding on Icarus,
a subset on Verilator."""

import zlib

import pytest

from golden.sparq import PRESETS, Config
from verif.harness import run_bench
from verif.tb_tc_common import array_sources

# (variant, config, rows, cols, acc_width, simulator, flat)
CASES = [pytest.param("sparq", Config.preset(o, rounding=r), 4, 4, 32, "icarus", False,
                      id=f"{Config.preset(o, rounding=r).name}-icarus")
         for o in sorted(PRESETS) for r in (True, False)]
CASES += [
    pytest.param("8b8b", None, 4, 4, 32, "icarus", False, id="8b8b-icarus"),
    pytest.param("sparq", Config(4, (0, 3, 4), rounding=False), 3, 2, 20, "icarus", True,
                 id="n4-s0.3.4-trim-3x2-acc20-flat-icarus"),
    pytest.param("8b8b", None, 1, 3, 16, "icarus", True, id="8b8b-1x3-acc16-flat-icarus"),
    # Each Verilator build costs 20-80 s: small tiles, few designs.
    pytest.param("sparq", Config.preset(3), 2, 2, 32, "verilator", False, id="3opt-2x2-verilator"),
    pytest.param("8b8b", None, 2, 2, 32, "verilator", False, id="8b8b-2x2-verilator"),
]


@pytest.mark.parametrize("variant, cfg, rows, cols, acc_width, sim, flat", CASES)
def test_stc_array_random_tiles(variant, cfg, rows, cols, acc_width, sim, flat):
    top, sources, stc = array_sources("stc", variant, cfg, rows, cols, acc_width, flat)
    run_bench(sim, sources, top, "verif.tb_stc_array", args={
        "bits": cfg and cfg.bits, "shifts": cfg and list(cfg.shifts),
        "rounding": cfg and cfg.rounding, "rows": rows, "cols": cols, "acc_width": acc_width,
        "k_step": stc.k_step, "latency": stc.latency, "seed": zlib.crc32(top.encode()),
        "tiles": 8,
    }, testcase="random_tiles")
