"""Each SA PE variant on random and corner streams, against golden.sparq."""

import pytest

from amaranth.lib import data
from amaranth import Shape

from golden.sparq import Config
from hdl.sa.emit import emit_pe
from verif.harness import SIMULATORS, run_bench
from verif.tb_sa_common import config_args
from verif.test_sa_array import write_files

#: (variant, config): the baselines, SySMT and SPARQ at both ends of the presets.
PES = [("8b8b", None), ("2x4b8b", None), ("sysmt", None), ("sparq", Config.preset(5)),
       ("sparq", Config.preset(7, rounding=False)), ("sparq", Config.preset(6))]


def _width(shape) -> int:
    return data.Layout.cast(shape).size if isinstance(shape, data.Layout) \
        else Shape.cast(shape).width


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("acc_width", [16, 32])
@pytest.mark.parametrize("variant,cfg", PES, ids=lambda v: v if isinstance(v, str) else
                         (v.name if v else "-"))
def test_pe_streams(variant, cfg, acc_width, sim):
    if sim == "verilator" and (acc_width != 16 or cfg not in (None, Config.preset(5))):
        pytest.skip("Verilator builds are costly: one build per variant, Icarus runs all")
    top, files, pe = emit_pe(variant, cfg, acc_width)
    members = pe.signature.members
    run_bench(sim, write_files(files), top, "verif.tb_sa_pe", args={
        "variant": variant, **config_args(cfg), "acc_width": acc_width, "seed": acc_width,
        "act_mask": (1 << _width(members["in_act"].shape)) - 1,
        "weight_mask": (1 << _width(members["in_weight"].shape)) - 1,
    }, testcase="pe_streams")
