"""A network on an array: per-layer cycles, the whole network, the speedup and where it goes."""

from __future__ import annotations

from .arrays import PARTS, ArrayDesign, map_layer
from .catalog import layers, network

__all__ = ["network_record", "evaluate", "attach_speedups"]


def network_record(name: str, batch: int, design: ArrayDesign) -> dict:
    """The record of ``name`` at ``batch`` on ``design`` (layers back to back)."""
    net = network(name)
    per = [map_layer(s, design) for s in layers(name, batch)]
    mapped = [lc for lc in per if lc.mapped]
    cycles = sum(lc.cycles for lc in mapped)
    macs = sum(lc.macs for lc in mapped)
    plan = design.plan(1, 1, 1)
    parts = {p: sum(lc.parts[p] for lc in mapped) for p in PARTS}
    return {
        "network": name, "title": net.title, "paper": net.paper, "input": net.input,
        "batch": batch, "arch": design.arch, "design": design.design, "rows": design.rows,
        "cols": design.cols, **dict(design.options),
        "options": dict(design.options), "label": design.label,
        "macs": macs, "host_macs": sum(lc.macs for lc in per if not lc.mapped),
        "cycles": cycles, "ideal_cycles": round(parts["ideal"], 3),
        "peak_macs_per_cycle": plan.peak_macs_per_cycle, "pes": plan.pes,
        "utilization": macs / (plan.pes * cycles) if cycles else 0.0,
        "peak_fraction": macs / (plan.peak_macs_per_cycle * cycles) if cycles else 0.0,
        "tiles": sum(lc.tiles for lc in mapped),
        "drain_bound_tiles": sum(lc.drain_bound_tiles for lc in mapped),
        "drain_bound_layers": sum(lc.drain_bound_tiles > 0 for lc in mapped),
        "parts": {p: round(v, 3) for p, v in parts.items()},
        "layers": [lc.record() for lc in per],
        "speedup_vs_8b8b": None,
    }


def attach_speedups(records: list[dict]) -> list[dict]:
    """Each record's ``speedup_vs_8b8b``: the 8b-8b array of the same arch, size, options,
    network, input and batch, per network and per layer."""
    def key(r):
        return (r["network"], r["batch"], r["arch"], r["rows"], r["cols"],
                tuple(sorted(r["options"].items())))
    base = {key(r): r for r in records if r["design"] == "8b8b"}
    for r in records:
        ref = base.get(key(r))
        if ref is None:
            continue
        r["speedup_vs_8b8b"] = ref["cycles"] / r["cycles"]
        for mine, theirs in zip(r["layers"], ref["layers"], strict=True):
            mine["speedup_vs_8b8b"] = (theirs["cycles"] / mine["cycles"]
                                       if mine["mapped"] else None)
    return records


def evaluate(names, batches, designs: list[ArrayDesign]) -> list[dict]:
    """Records of every network x batch x design, with speedups attached."""
    recs = [network_record(n, b, d) for n in names for b in batches for d in designs]
    return attach_speedups(recs)
