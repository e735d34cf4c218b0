"""Dot-product units (TC: 8b8b, 2x4b8b, SPARQ; STC: sparse 8b8b and SPARQ) against the golden model."""

import zlib

import pytest

from golden.sparq import PRESETS, Config
from hdl.generate import module_name
from hdl.tc import make_dp
from hdl.tc.sparse_dp import SparseDotProduct
from verif.harness import emit, run_bench

# (stc, variant, config, acc_width, simulator).  Rounding only matters to the
# TRUs: the TC units take words, so one rounding mode per preset is enough there.
# Every preset runs through the TC units inside the array regressions (test_tc_array.py).
CASES = [pytest.param(False, "sparq", Config.preset(o), 32, "icarus", id=f"tc-{o}opt-icarus")
         for o in sorted(PRESETS) if o == 5]
CASES += [
    pytest.param(False, "8b8b", None, 32, "icarus", id="tc-8b8b-icarus"),
    pytest.param(False, "2x4b8b", None, 32, "icarus", id="tc-2x4b8b-icarus"),
    # Narrow accumulators: the sum of products wraps.
    pytest.param(False, "8b8b", None, 12, "icarus", id="tc-8b8b-acc12-icarus"),
    pytest.param(False, "2x4b8b", None, 10, "icarus", id="tc-2x4b8b-acc10-icarus"),
    pytest.param(False, "sparq", Config.preset(6), 14, "icarus", id="tc-6opt-acc14-icarus"),
    pytest.param(True, "8b8b", None, 32, "icarus", id="stc-8b8b-icarus"),
    pytest.param(True, "sparq", Config.preset(3), 32, "icarus", id="stc-3opt-icarus"),
    pytest.param(True, "sparq", Config.preset(7, rounding=False), 16, "icarus",
                 id="stc-7opt-trim-acc16-icarus"),
]
# On Verilator the DP units run inside the array regressions (test_tc_array.py,
# test_stc_array.py): every Verilator build costs 20-60 s of the suite's budget.


@pytest.mark.parametrize("stc, variant, cfg, acc_width, sim", CASES)
def test_dp_random_operands(stc, variant, cfg, acc_width, sim):
    if stc:
        dp = SparseDotProduct(variant=variant, config=cfg, acc_width=acc_width)
    else:
        dp = make_dp(variant, cfg, acc_width=acc_width)
    name = module_name("stc_dp" if stc else "tc_dp", cfg, f"acc{acc_width}",
                       *([variant] if cfg is None else []))
    source = emit(dp, name)
    run_bench(sim, [source], name, "verif.tb_tc_dp", args={
        "stc": stc, "variant": variant, "bits": cfg and cfg.bits,
        "shifts": cfg and list(cfg.shifts), "rounding": cfg and cfg.rounding,
        "acc_width": acc_width, "k_step": dp.K_STEP if not stc else dp.k_step,
        "latency": dp.latency, "seed": zlib.crc32(name.encode()), "count": 300,
    }, testcase="random_operands")
