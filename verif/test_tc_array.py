"""Tensor cores (TC) and 2:4 sparse tensor cores (STC) against the golden model:
every preset x rounding on Icarus, a subset on Verilator."""

import zlib

import numpy as np
import pytest

from golden.sparq import PRESETS, Config
from hdl.emit.verilog import convert
from hdl.tc.build import array_class, emit_array
from verif.harness import run_bench, sources
from verif.tb_tc_array import TensorArgs


def _presets(arch):
    return [pytest.param(arch, "sparq", Config.preset(o, rounding=r), 4, 4, 32, "icarus", False,
                         id=f"{arch}-{Config.preset(o, rounding=r).name}-icarus")
            for o in sorted(PRESETS) for r in (True, False)]


# (arch, variant, config, rows, cols, acc_width, simulator, flat)
CASES = _presets("tc") + _presets("stc") + [
    pytest.param("tc", "8b8b", None, 4, 4, 32, "icarus", False, id="tc-8b8b-icarus"),
    pytest.param("stc", "8b8b", None, 4, 4, 32, "icarus", False, id="stc-8b8b-icarus"),
    # A custom configuration, non-square tiles, narrow accumulators that wrap, and
    # the flat (single-module) conversion.
    pytest.param("tc", "sparq", Config(4, (0, 1, 4)), 2, 3, 16, "icarus", True,
                 id="tc-n4-s0.1.4-2x3-acc16-flat-icarus"),
    pytest.param("tc", "8b8b", None, 3, 2, 16, "icarus", True, id="tc-8b8b-3x2-acc16-flat-icarus"),
    pytest.param("stc", "sparq", Config(4, (0, 3, 4), rounding=False), 3, 2, 20, "icarus", True,
                 id="stc-n4-s0.3.4-trim-3x2-acc20-flat-icarus"),
    pytest.param("stc", "8b8b", None, 1, 3, 16, "icarus", True,
                 id="stc-8b8b-1x3-acc16-flat-icarus"),
    # Wider than one Amaranth netlist value (in_c alone is 61,952 bits): the top is
    # structural Verilog (hdl.emit.structural).
    pytest.param("tc", "8b8b", None, 44, 44, 32, "icarus", False, marks=pytest.mark.slow,
                 id="tc-8b8b-44x44-past-amaranth-port-limit-icarus"),
    # Each Verilator build costs 20-80 s: small tiles, few designs (DP units are covered here).
    pytest.param("tc", "sparq", Config.preset(5), 4, 4, 32, "verilator", False,
                 id="tc-5opt-verilator"),
    pytest.param("tc", "sparq", Config.preset(7, rounding=False), 2, 2, 32, "verilator", False,
                 id="tc-7opt-trim-2x2-verilator"),
    pytest.param("tc", "8b8b", None, 2, 2, 32, "verilator", False, id="tc-8b8b-2x2-verilator"),
    pytest.param("stc", "sparq", Config.preset(3), 2, 2, 32, "verilator", False,
                 id="stc-3opt-2x2-verilator"),
    pytest.param("stc", "8b8b", None, 2, 2, 32, "verilator", False, id="stc-8b8b-2x2-verilator"),
]


def _design(arch, variant, cfg, rows, cols, acc_width, flat):
    """``(top, sources, array)`` as the CLI emits it, or as one flat Amaranth design."""
    if not flat:
        top, files, array = emit_array(arch, variant, cfg, rows=rows, cols=cols,
                                       acc_width=acc_width)
        return top, sources(top, files), array
    array = array_class(arch)(variant=variant, config=cfg, rows=rows, cols=cols,
                              acc_width=acc_width)
    top = array.module_name + "_flat"
    return top, sources(top, {f"{top}.v": convert(array, top)}), array


@pytest.mark.parametrize("arch, variant, cfg, rows, cols, acc_width, sim, flat", CASES)
def test_array_random_tiles(arch, variant, cfg, rows, cols, acc_width, sim, flat):
    top, srcs, array = _design(arch, variant, cfg, rows, cols, acc_width, flat)
    seed = zlib.crc32(top.encode())
    ks = tuple(int(k) for k in np.random.default_rng(seed).integers(1, 5 * array.k_step + 1, 8))
    run_bench(sim, srcs, top, "verif.tb_tc_array", TensorArgs(
        arch=arch, variant=variant, config=cfg, rows=rows, cols=cols, acc_width=acc_width,
        k_step=array.k_step, latency=array.latency, ks=ks,
        sweep_cycles=tuple(array.cycles(k) for k in ks), seed=seed), testcase="random_tiles")
