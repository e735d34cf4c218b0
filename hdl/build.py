"""Emission of the units every array shares: the trim-and-round unit (``--unit tru``)."""

from __future__ import annotations

from hdl.emit.manifest import Emission, Timing, manifest, ports_of
from hdl.emit.target import Request, Target
from hdl.emit.verilog import convert
from hdl.tru import TrimRoundUnit

__all__ = ["TARGETS"]


def _tru(request: Request) -> Emission:
    unit = TrimRoundUnit(config=request.config)
    name = unit.module_name
    timing = Timing(latency=unit.latency, k_step=2, macs_per_cycle=0,
                    notes="one activation pair a cycle; out_word is registered")
    return Emission(name, {f"{name}.v": convert(unit, name)}, manifest(
        arch=request.arch, unit="tru", variant="sparq", config=request.config, parameters={},
        ports=ports_of(unit), timing=timing))


#: The TRU is the same for every arch.
TARGETS = [Target(arch, "tru", ("sparq",), frozenset({"rounding"}), _tru,
                  has_tru=lambda request: True, summary="one trim-and-round unit")
           for arch in ("sa", "tc", "stc")]
