"""Dot-product units (TC: 8b8b, 2x4b8b, SPARQ; STC: sparse 8b8b and SPARQ) against golden."""

import zlib

import pytest

from golden.sparq import Config
from hdl.tc import SparseDotProduct, make_dp
from verif.harness import emit, run_bench
from verif.tb_tc_dp import DPArgs

# (stc, variant, config, acc_width, simulator).  Rounding only matters to the
# TRUs: the TC units take words, so one rounding mode per preset is enough there.
# Every preset runs through the TC units inside the array regressions (test_tc_array.py).
CASES = [
    pytest.param(False, "sparq", Config.preset(5), 32, "icarus", id="tc-5opt-icarus"),
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
# On Verilator the DP units run inside the array regressions (test_tc_array.py):
# every Verilator build costs 20-60 s of the suite's budget.


@pytest.mark.parametrize("stc, variant, cfg, acc_width, sim", CASES)
def test_dp_random_operands(stc, variant, cfg, acc_width, sim):
    dp = SparseDotProduct(variant=variant, config=cfg, acc_width=acc_width) if stc \
        else make_dp(variant, cfg, acc_width=acc_width)
    name = dp.module_name
    run_bench(sim, emit(dp), name, "verif.tb_tc_dp", DPArgs(
        stc=stc, variant=variant, config=cfg, acc_width=acc_width, k_step=dp.k_step,
        latency=dp.latency, seed=zlib.crc32(name.encode()), count=300),
        testcase="random_operands")
