"""Energy per inference on the 128x128 SA: a model from the measured parts of ``make power``.

``reports/power.json`` holds, per array design, the 128x128 array's energy per cycle when
fully busy on the real operand stream (``pj_per_cycle``, ``pj_per_mac`` for ``stream ==
"real"``) and on zero activations (``stream == "zero"``: clock, registers and the weights
still switch).  A layer's energy is then

    E = macs x pJ/MAC(real) + (cycles - macs / peak) x pJ/cycle(zero)

(the busy part at the real stream's activity, every other cycle - tile fill, K padding,
drain-bound gaps, the stream's fill - at the zero-activation figure), summed over the
layers that run on the array.  It inherits what the per-MAC figures leave out
(docs/power.md, "What the per-MAC figures exclude") and assumes the Fashion-MNIST CNN's
operand statistics stand for the network's.  With drain lanes, each extra lane adds one more
copy of the drain deskew's energy per cycle (its registers are clocked every cycle; an upper
bound, since each lane carries 1/L of the results).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["PowerFigures", "load_power", "inference_energy"]


class PowerFigures:
    """The 128x128 SA's pJ/MAC (real) and pJ/cycle (real, zero) per design, from power.json."""

    def __init__(self, records: list[dict], source: str):
        self.source = source
        self._by = {(r["variant"], r["stream"]): r for r in records if r["kind"] == "sa_array"}
        if not self._by:
            raise ValueError(f"{source} has no 128x128 SA records (kind 'sa_array'): run "
                             f"make power")

    def has(self, design: str) -> bool:
        return (design, "real") in self._by and (design, "zero") in self._by

    def pj_per_mac(self, design: str) -> float:
        return self._by[design, "real"]["pj_per_mac"]

    def pj_per_cycle(self, design: str, stream: str) -> float:
        return self._by[design, stream]["pj_per_cycle"]

    def deskew_pj_per_cycle(self, design: str, stream: str) -> float:
        return self._by[design, stream]["parts_pj_per_cycle"].get("drain deskew", 0.0)


def load_power(path: Path) -> PowerFigures | None:
    """The figures of ``path`` (reports/power.json), or None when it does not exist."""
    path = Path(path)
    if not path.exists():
        return None
    return PowerFigures(json.loads(path.read_text())["records"], str(path))


def inference_energy(record: dict, power: PowerFigures) -> dict | None:
    """Energy of one network record on the 128x128 SA (None for other arrays or designs)."""
    design = record["design"]
    if record["arch"] != "sa" or (record["rows"], record["cols"]) != (128, 128) \
            or not power.has(design):
        return None
    lanes = int(record["options"].get("drain_lanes", 1))
    per_mac = power.pj_per_mac(design)
    zero = power.pj_per_cycle(design, "zero")
    extra_busy = (lanes - 1) * power.deskew_pj_per_cycle(design, "real")
    extra_idle = (lanes - 1) * power.deskew_pj_per_cycle(design, "zero")
    ideal = record["ideal_cycles"]
    idle = record["cycles"] - ideal
    busy_pj = record["macs"] * per_mac + ideal * extra_busy
    idle_pj = idle * (zero + extra_idle)
    total = busy_pj + idle_pj
    return {"uj": total / 1e6, "busy_uj": busy_pj / 1e6, "idle_uj": idle_pj / 1e6,
            "idle_share": idle_pj / total if total else 0.0,
            "pj_per_mac_effective": total / record["macs"] if record["macs"] else 0.0,
            "pj_per_mac_busy": per_mac, "pj_per_cycle_zero": zero}
