"""The 2:4 sparse tensor core against the golden model: every preset x rounding on Icarus,
a subset on Verilator."""

import zlib

import pytest

from golden.sparq import PRESETS, Config
from hdl.generate import module_name
from hdl.tc.sparse_array import SparseTensorCore
from verif.harness import emit, run_bench

CASES = [pytest.param("sparq", Config.preset(o, rounding=r), 4, 4, 32, "icarus",
                      id=f"{Config.preset(o, rounding=r).name}-icarus")
         for o in sorted(PRESETS) for r in (True, False)]
CASES += [
    pytest.param("8b8b", None, 4, 4, 32, "icarus", id="8b8b-icarus"),
    pytest.param("sparq", Config(4, (0, 3, 4), rounding=False), 3, 2, 20, "icarus",
                 id="n4-s0.3.4-trim-3x2-acc20-icarus"),
    pytest.param("sparq", Config.preset(3), 4, 4, 32, "verilator", id="3opt-verilator"),
    pytest.param("8b8b", None, 4, 4, 32, "verilator", id="8b8b-verilator"),
]


@pytest.mark.parametrize("variant, cfg, rows, cols, acc_width, sim", CASES)
def test_stc_array_random_tiles(variant, cfg, rows, cols, acc_width, sim):
    stc = SparseTensorCore(variant=variant, config=cfg, rows=rows, cols=cols, acc_width=acc_width)
    name = module_name("stc_array", cfg, f"{rows}x{cols}", f"acc{acc_width}",
                       *(["8b8b"] if cfg is None else []))
    source = emit(stc, name)
    run_bench(sim, [source], name, "verif.tb_stc_array", args={
        "bits": cfg and cfg.bits, "shifts": cfg and list(cfg.shifts),
        "rounding": cfg and cfg.rounding, "rows": rows, "cols": cols, "acc_width": acc_width,
        "k_step": stc.k_step, "latency": stc.latency, "seed": zlib.crc32(name.encode()),
        "tiles": 12,
    }, testcase="random_tiles")
