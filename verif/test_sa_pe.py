"""Each SA PE variant on random and corner streams, against its golden reference."""

import pytest

from golden.sparq import Config
from hdl.checks import width_of
from hdl.sa.build import emit_pe
from verif.harness import run_bench, sources
from verif.tb_sa_pe import PEArgs

#: (variant, config): the baselines, SySMT and SPARQ at both ends of the presets.
PES = [("8b8b", None), ("2x4b8b", None), ("sysmt", None), ("sparq", Config.preset(5)),
       ("sparq", Config.preset(7, rounding=False)), ("sparq", Config.preset(6))]

#: Icarus runs every PE at both widths; Verilator builds are costly, so it runs one build
#: per variant (16-bit accumulators, where wrapping is exercised).
CASES = [(v, c, acc, "icarus") for v, c in PES for acc in (16, 32)] + \
        [(v, c, 16, "verilator") for v, c in PES if c in (None, Config.preset(5))]


@pytest.mark.parametrize("variant,cfg,acc_width,sim", CASES,
                         ids=lambda v: v if isinstance(v, (str, int)) else (v.name if v else "-"))
def test_pe_streams(variant, cfg, acc_width, sim):
    top, files, pe = emit_pe(variant, cfg, acc_width)
    members = pe.signature.members
    run_bench(sim, sources(top, files), top, "verif.tb_sa_pe", PEArgs(
        variant=variant, config=cfg, acc_width=acc_width, seed=acc_width,
        act_width=width_of(members["in_act"].shape),
        weight_width=width_of(members["in_weight"].shape)), testcase="pe_streams")
