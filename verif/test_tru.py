"""The trim-and-round unit, exhaustively, on every preset, rounding mode and simulator."""

import pytest

from golden.sparq import PRESETS, Config
from hdl.tru import TrimRoundUnit
from verif.harness import SIMULATORS, emit, run_bench
from verif.tb_tru import TruArgs


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("rounding", [True, False], ids=["round", "trim"])
@pytest.mark.parametrize("opts", sorted(PRESETS), ids=lambda o: f"{o}opt")
def test_tru_exhaustive(opts, rounding, sim):
    cfg = Config.preset(opts, rounding=rounding)
    unit = TrimRoundUnit(config=cfg)
    run_bench(sim, emit(unit), unit.module_name, "verif.tb_tru",
              TruArgs(config=cfg, latency=unit.latency, seed=opts), testcase="exhaustive_pairs")
