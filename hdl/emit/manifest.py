"""The manifest written next to every emission: one schema for every arch and unit.

``<top>.json`` describes the emitted design for programs (testbench
generators, SoC integration scripts) and for the port reference
(``python -m hdl.ports``, ``docs/ports.md``).  Its JSON Schema (draft
2020-12) is ``hdl/emit/manifest.schema.json`` (:data:`SCHEMA_FILE`);
``schema`` carries the version (:data:`SCHEMA`).  A record holds:

- ``arch``, ``unit``, ``variant``, ``config`` (the SPARQ configuration the
  arithmetic uses, or null), ``parameters`` (rows, cols, acc_width, input,
  tile: those the unit takes), ``top`` and ``files``;
- ``clock`` and ``reset`` (synchronous, active high, what it clears);
- ``ports``: name, direction, width, the packing of its fields (``layout``:
  scalars, arrays with element 0 in the least significant bits, structs with
  each field's offset) and a description;
- ``timing``: ``latency``, ``k_step``, ``acts_per_beat``, ``macs_per_cycle``
  and cycle counts as expressions over named ``variables``.

The port descriptions are the components' own docstrings: the numpydoc
``Members`` section of the component's class and of its bases, and of any
class it names with ``(the rest as in :class:`X`)`` or ``See :class:`X```
(:func:`member_docs`).  Expressions are evaluated by :func:`evaluate`:
integers, ``+ - * //``, parentheses and ``max``, ``min``, ``ceil_div`` and
``clog2``.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path

from amaranth import Shape
from amaranth.lib import data, wiring

from golden.sparq import Config

__all__ = ["SCHEMA", "SCHEMA_FILE", "Emission", "Timing", "ports_of", "layout_of",
           "config_manifest", "member_docs", "manifest", "evaluate"]

#: Version tag of the manifest layout; bumped on every incompatible change.
SCHEMA = "sparq-manifest/1"
#: The JSON Schema (draft 2020-12) every manifest validates against.
SCHEMA_FILE = Path(__file__).with_name("manifest.schema.json")


@dataclass
class Emission:
    """What a builder produces: Verilog text per file name, the top and its manifest."""

    top: str
    files: dict[str, str]
    manifest: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    """Rates and cycle counts of a unit or array.

    ``latency`` is in cycles (``notes`` says from what to what); ``k_step``
    is the reduction-axis (K) elements one beat covers, per row;
    ``acts_per_beat`` the activation codes one beat carries in all (``k_step``
    for a unit, ``rows * k_step`` for an array: :func:`manifest` fills it in
    when None); ``macs_per_cycle`` the dense-equivalent multiply-accumulates
    a cycle at full rate.  ``cycles`` maps a name to an expression over
    ``variables`` (name -> meaning), e.g. ``{"sweep": "ceil_div(K, 8) - 1 +
    2"}`` with ``{"K": "reduction length"}``.
    """

    latency: int
    k_step: int
    macs_per_cycle: int
    cycles: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    notes: str = ""
    acts_per_beat: int | None = None

    def as_dict(self) -> dict:
        out = {"latency": self.latency, "k_step": self.k_step,
               "macs_per_cycle": self.macs_per_cycle, "cycles": dict(self.cycles),
               "variables": dict(self.variables), "notes": self.notes}
        if self.acts_per_beat is not None:
            out["acts_per_beat"] = self.acts_per_beat
        return out


def layout_of(shape) -> dict:
    """The packing of a port: scalars, arrays and structs, nested.

    An array's element ``i`` sits at bits ``[i * element.width +:
    element.width]`` (element 0 in the LSBs), so in a 2-D port the outer
    index is in the more significant bits; a struct lists each field with its
    bit offset (the first field at offset 0).
    """
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
    """The Verilog ports of a component: name, direction, width, packing and description.

    Descriptions come from :func:`member_docs` of the component's class
    (an undocumented port gets ``""``; the tests refuse that).
    """
    docs = member_docs(type(component))
    ports = []
    if clocked:
        ports += [{"name": name, "dir": "in", "width": 1, "layout": layout_of(1),
                   "description": docs.get(name, "")} for name in ("clk", "rst")]
    for path, member in component.signature.members.flatten():
        if not member.is_port:
            continue
        layout = layout_of(member.shape)
        name = "__".join(map(str, path))
        ports.append({"name": name, "dir": "in" if member.flow == wiring.In else "out",
                      "width": layout["width"], "layout": layout,
                      "description": docs.get(name, "")})
    return ports


# ------------------------------------------------------------------ port descriptions

_ROLE = re.compile(r":(?:class|func|meth|data|attr|mod|obj):`(~?)([^`]+)`")
_SEE = re.compile(r"See :class:`(~?[\w.]+)`\.?")
_REST = re.compile(r"\(the rest as in :class:`(~?[\w.]+)`\)")
_HEADER = re.compile(r"^([A-Za-z][\w ]*)\n-{3,}$", re.M)


def plain(text: str) -> str:
    """RST of a docstring as one line of Markdown: roles and ````x```` become ```x```."""
    text = _ROLE.sub(lambda m: "`" + (m[2].rsplit(".", 1)[-1] if m[1] else m[2]) + "`", text)
    text = text.replace("``", "`")
    return " ".join(text.split())


def _section(doc: str, title: str) -> str | None:
    """The body of numpydoc section ``title`` of a cleaned docstring."""
    heads = list(_HEADER.finditer(doc))
    for i, head in enumerate(heads):
        if head[1].strip() == title:
            end = heads[i + 1].start() if i + 1 < len(heads) else len(doc)
            return doc[head.end():end]
    return None


def _members(cls) -> tuple[dict[str, str], list[str]]:
    """``(name -> raw description, [referenced class paths])`` of ``cls``'s own Members."""
    doc = cls.__dict__.get("__doc__")
    body = _section(inspect.cleandoc(doc), "Members") if doc else None
    entries: dict[str, str] = {}
    refs: list[str] = []
    names: list[str] = []
    for line in (body or "").splitlines():
        if not line.strip():
            continue
        if line.startswith(" "):                      # description of the entry above
            for name in names:
                entries[name] = (entries[name] + " " + line.strip()).strip()
            continue
        rest = _REST.fullmatch(line.strip())
        if rest:
            refs.append(rest[1])
            names = []
            continue
        names = [n.strip() for n in line.split(" : ")[0].split(",")]
        for name in names:
            entries.setdefault(name, "")
    return entries, refs


def _resolve(path: str):
    module, _, name = path.lstrip("~").rpartition(".")
    return getattr(importlib.import_module(module), name)


@functools.cache
def member_docs(cls) -> dict[str, str]:
    """Port name -> description (one Markdown line) from the docstrings of ``cls``.

    The numpydoc ``Members`` section of ``cls`` comes first, then the classes
    it names (``(the rest as in :class:`X`)``; an entry ``See :class:`X```
    takes ``X``'s text), then its bases in method resolution order.  An entry
    without a description is filled from the next place that has one.
    """
    docs: dict[str, str] = {}
    for klass in cls.__mro__:
        entries, refs = _members(klass)
        for name, text in entries.items():
            see = _SEE.fullmatch(text)
            if see:
                text = member_docs(_resolve(see[1])).get(name, "")
            if text and name not in docs:
                docs[name] = plain(text)
        for ref in refs:
            for name, text in member_docs(_resolve(ref)).items():
                docs.setdefault(name, text)
    return docs


def config_manifest(cfg: Config | None) -> dict | None:
    if cfg is None:
        return None
    return {"name": cfg.name, "bits": cfg.bits, "shifts": list(cfg.shifts),
            "rounding": cfg.rounding, "idx_bits": cfg.idx_bits,
            "slot_width": cfg.slot_width, "word_width": cfg.word_width}


def manifest(*, arch: str, unit: str, variant: str, config: Config | None,
             parameters: dict, ports: list[dict], timing: Timing) -> dict:
    """A manifest record (``top`` and ``files`` are added by the writer)."""
    timing_record = timing.as_dict()
    if "acts_per_beat" not in timing_record:
        rows = parameters.get("rows", 1) if unit == "array" else 1
        timing_record["acts_per_beat"] = timing.k_step * rows
    names = {p["name"]: p for p in ports}
    record = {"schema": SCHEMA, "arch": arch, "unit": unit, "variant": variant,
              "config": config_manifest(config), "parameters": dict(parameters),
              "clock": None, "reset": None, "ports": ports, "timing": timing_record}
    if "clk" in names:
        record["clock"] = {"port": "clk", "edge": "rising"}
    if "rst" in names:
        record["reset"] = {"port": "rst", "synchronous": True, "active": "high",
                           "required": True, "description": names["rst"]["description"]}
    return record


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv}
_CALLS = {"max": max, "min": min, "ceil_div": lambda a, b: -(-a // b),
          "clog2": lambda a: max(0, a - 1).bit_length()}


def evaluate(expr: str, **variables: int) -> int:
    """The integer value of a manifest expression, e.g. ``evaluate("ceil_div(K, 2)", K=7)``.

    Integers, variables, ``+ - * //``, unary ``-``, parentheses and the calls
    ``max(a, b, ...)``, ``min(a, b, ...)``, ``ceil_div(a, b)`` (``a / b``
    rounded up) and ``clog2(a)`` (``ceil(log2(a))``, 0 for ``a <= 1``); any
    other syntax, or a variable not given, is a ValueError.
    """
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
