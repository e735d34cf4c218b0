"""The trim-and-round unit, exhaustively, on every preset, rounding mode and simulator."""

import pytest

from golden.sparq import PRESETS, Config
from hdl.generate import module_name
from hdl.tru import TrimRoundUnit
from verif.harness import SIMULATORS, emit, run_bench


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("rounding", [True, False], ids=["round", "trim"])
@pytest.mark.parametrize("opts", sorted(PRESETS), ids=lambda o: f"{o}opt")
def test_tru_exhaustive(opts, rounding, sim):
    cfg = Config.preset(opts, rounding=rounding)
    unit = TrimRoundUnit(config=cfg)
    name = module_name("tru", cfg)
    source = emit(unit, name)
    run_bench(sim, [source], name, "verif.tb_tru", args={
        "bits": cfg.bits, "shifts": list(cfg.shifts), "rounding": cfg.rounding,
        "latency": unit.latency, "seed": opts,
    }, testcase="exhaustive_pairs")
