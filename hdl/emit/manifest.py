"""The manifest written next to every emission: one schema for every arch and unit.

``<top>.json`` describes the emitted design for programs (testbench
generators, SoC integration scripts) and for the port reference
(``python -m hdl.ports``).  Its JSON Schema is ``hdl/emit/manifest.schema.json``;
``schema`` carries the version.  Cycle counts are expressions over named
variables, evaluated by :func:`evaluate` (integers, ``+ - * //``,
parentheses, ``max``, ``min`` and ``ceil_div``).
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field

from amaranth import Shape
from amaranth.lib import data, wiring

from golden.sparq import Config

__all__ = ["SCHEMA", "Emission", "Timing", "ports_of", "layout_of", "config_manifest",
           "manifest", "evaluate"]

#: Version tag of the manifest layout; bumped on every incompatible change.
SCHEMA = "sparq-manifest/1"


@dataclass
class Emission:
    """What a builder produces: Verilog text per file name, the top and its manifest."""

    top: str
    files: dict[str, str]
    manifest: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    """Rates and cycle counts of a unit or array.

    ``cycles`` maps a name to an expression over ``variables`` (name ->
    meaning), e.g. ``{"sweep": "ceil_div(K, 8) - 1 + 2"}`` with
    ``{"K": "reduction length"}``.
    """

    latency: int
    k_step: int
    macs_per_cycle: int
    cycles: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    notes: str = ""

    def as_dict(self) -> dict:
        return {"latency": self.latency, "k_step": self.k_step,
                "macs_per_cycle": self.macs_per_cycle, "cycles": dict(self.cycles),
                "variables": dict(self.variables), "notes": self.notes}


def layout_of(shape) -> dict:
    """The packing of a port: scalars, arrays (element 0 in the LSBs) and structs."""
    if isinstance(shape, data.ArrayLayout):
        return {"kind": "array", "width": shape.size, "count": shape.length,
                "element": layout_of(shape.elem_shape)}
    if isinstance(shape, data.StructLayout):
        return {"kind": "struct", "width": shape.size,
                "fields": [{"name": name, "offset": f.offset, **layout_of(f.shape)}
                           for name, f in shape]}
    s = Shape.cast(shape)
    return {"kind": "signed" if s.signed else "unsigned", "width": s.width}


def ports_of(component: wiring.Component, clocked: bool = True) -> list[dict]:
    """The Verilog ports of a component: name, direction, width and packing."""
    ports = []
    if clocked:
        ports += [{"name": "clk", "dir": "in", "width": 1, "layout": layout_of(1)},
                  {"name": "rst", "dir": "in", "width": 1, "layout": layout_of(1)}]
    for path, member in component.signature.members.flatten():
        if not member.is_port:
            continue
        layout = layout_of(member.shape)
        ports.append({"name": "__".join(map(str, path)),
                      "dir": "in" if member.flow == wiring.In else "out",
                      "width": layout["width"], "layout": layout})
    return ports


def config_manifest(cfg: Config | None) -> dict | None:
    if cfg is None:
        return None
    return {"name": cfg.name, "bits": cfg.bits, "shifts": list(cfg.shifts),
            "rounding": cfg.rounding, "idx_bits": cfg.idx_bits,
            "slot_width": cfg.slot_width, "word_width": cfg.word_width}


def manifest(*, arch: str, unit: str, variant: str, config: Config | None,
             parameters: dict, ports: list[dict], timing: Timing) -> dict:
    """A manifest record (``top`` and ``files`` are added by the writer)."""
    return {"schema": SCHEMA, "arch": arch, "unit": unit, "variant": variant,
            "config": config_manifest(config), "parameters": dict(parameters),
            "ports": ports, "timing": timing.as_dict()}


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv}
_CALLS = {"max": max, "min": min, "ceil_div": lambda a, b: -(-a // b)}


def evaluate(expr: str, **variables: int) -> int:
    """The integer value of a manifest expression, e.g. ``evaluate("ceil_div(K, 2)", K=7)``."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in variables:
                raise ValueError(f"expression {expr!r} needs variable {node.id!r}")
            return int(variables[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in _CALLS and not node.keywords:
            return _CALLS[node.func.id](*map(ev, node.args))
        raise ValueError(f"expression {expr!r}: {ast.dump(node)} is not allowed")
    return ev(ast.parse(expr, mode="eval"))
