"""Each SA PE variant on random and corner streams, against golden.sparq."""

import pytest

from amaranth.lib import data
from amaranth import Shape

from golden.sparq import Config
from hdl.sa.emit import emit_pe
from verif.harness import run_bench
from verif.tb_sa_common import config_args
from verif.test_sa_array import write_files

#: (variant, config): the baselines, SySMT and SPARQ at both ends of the presets.
PES = [("8b8b", None), ("2x4b8b", None), ("sysmt", None), ("sparq", Config.preset(5)),
       ("sparq", Config.preset(7, rounding=False)), ("sparq", Config.preset(6))]


def _width(shape) -> int:
    return data.Layout.cast(shape).size if isinstance(shape, data.Layout) \
        else Shape.cast(shape).width


#: Icarus runs every PE at both widths; Verilator builds are costly, so it runs one build
#: per variant (16-bit accumulators, where wrapping is exercised).
CASES = [(v, c, acc, "icarus") for v, c in PES for acc in (16, 32)] + \
        [(v, c, 16, "verilator") for v, c in PES if c in (None, Config.preset(5))]


@pytest.mark.parametrize("variant,cfg,acc_width,sim", CASES,
                         ids=lambda v: v if isinstance(v, (str, int)) else (v.name if v else "-"))
def test_pe_streams(variant, cfg, acc_width, sim):
    top, files, pe = emit_pe(variant, cfg, acc_width)
    members = pe.signature.members
    run_bench(sim, write_files(files), top, "verif.tb_sa_pe", args={
        "variant": variant, **config_args(cfg), "acc_width": acc_width, "seed": acc_width,
        "act_mask": (1 << _width(members["in_act"].shape)) - 1,
        "weight_mask": (1 << _width(members["in_weight"].shape)) - 1,
    }, testcase="pe_streams")
