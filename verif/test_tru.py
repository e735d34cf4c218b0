"""The trim-and-round unit, exhaustively, on every preset, rounding mode and simulator."""

import pytest

from golden.sparq import PRESETS, Config
from hdl.tru import TrimRoundUnit
from verif.harness import SIMULATORS, emit, run_bench
from verif.tb_tru import TruArgs


def _cases():
    """Every preset x rounding mode once in the default suite, alternating the simulator (each
    run is ~70,000 cocotb cycles, about 30 s); the other simulator of each in the slow suite."""
    for opts in sorted(PRESETS):
        for rounding in (True, False):
            default = SIMULATORS[(opts + rounding) % 2]
            for sim in SIMULATORS:
                marks = () if sim == default else (pytest.mark.slow,)
                yield pytest.param(opts, rounding, sim, marks=marks,
                                   id=f"{opts}opt-{'round' if rounding else 'trim'}-{sim}")


@pytest.mark.parametrize("opts, rounding, sim", list(_cases()))
def test_tru_exhaustive(opts, rounding, sim):
    cfg = Config.preset(opts, rounding=rounding)
    unit = TrimRoundUnit(config=cfg)
    run_bench(sim, emit(unit), unit.module_name, "verif.tb_tru",
              TruArgs(config=cfg, latency=unit.latency, seed=opts), testcase="exhaustive_pairs")
