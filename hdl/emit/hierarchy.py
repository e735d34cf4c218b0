"""Hierarchical emission: each distinct module is converted once, then instantiated."""

from __future__ import annotations

import re

from amaranth import ClockSignal, Instance, ResetSignal, Signal, Value
from amaranth.back import rtlil
from amaranth.back.verilog import _convert_rtlil_text
from amaranth.lib import data, wiring

from golden.sparq import Config
from hdl.checks import width_of
from hdl.emit.verilog import portable

__all__ = ["Hierarchy", "place", "unused"]


def unused(component):
    """Mark a component that only lends its signature or its port signals as used."""
    component._MustUse__silence = True
    return component


class _Ports:
    """Plain wires standing for an instance's ports, seen through the member layouts."""


#: Parameter values that identify a module (callables and hierarchies do not).
_PLAIN = (bool, int, str, float, tuple, frozenset, Config, type(None))


def _identity(component) -> tuple:
    """What makes two components the same module: class, ports and plain parameters."""
    params = tuple(sorted((k, repr(v)) for k, v in vars(component).items()
                          if isinstance(v, _PLAIN) and not k.startswith("_MustUse")))
    members = tuple((path, member.flow, repr(member.shape))
                    for path, member in component.signature.members.flatten())
    return type(component).__module__, type(component).__qualname__, members, params


def place(m, name: str, make, hierarchy: Hierarchy | None = None, connect: dict | None = None,
          module: str | None = None):
    """Add a component to ``m``: a submodule, or an ``Instance`` of its module.

    ``make()`` builds the component; with a hierarchy it becomes an instance
    of the module its ``module_name`` names, converted the first time it is
    placed (later placements only check that they build the same module);
    ``module`` overrides that name.  ``connect`` maps port names to the values they
    attach to; the other ports get fresh wires.  Returns what the caller
    drives and reads: the component itself, or an object with one attribute
    per port.  Instance ports are plain signals (seen through a ``View``
    where the member has a layout): a signal with a layout shape would make
    every field a named wire of the parent, megabytes of Verilog for a
    128-column row bus, and sharing one signal between two ports saves a
    copy per bit.  A module without a clock (purely combinational) gets no
    ``clk``/``rst`` connection.
    """
    connect = connect or {}
    if hierarchy is None:
        component = m.submodules[name] = make()
        for port, value in connect.items():
            member = component.signature.members[port]
            mine = getattr(component, port)
            m.d.comb += mine.eq(value) if member.flow == wiring.In else value.eq(mine)
        return component
    module, signature, clocked = hierarchy.record(make, module)
    ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal()} if clocked else {}
    wires = _Ports()
    for path, member in signature.members.flatten():
        port = "__".join(map(str, path))
        shape = member.shape
        if port in connect:
            value = Value.cast(connect[port])
        else:
            value = Signal(width_of(shape), name=f"{name}__{port}")
        ports[("i_" if member.flow == wiring.In else "o_") + port] = value
        setattr(wires, port, data.View(shape, value) if isinstance(shape, data.Layout) else value)
    m.submodules[name] = Instance(module, **ports)
    return wires


class Hierarchy:
    """The distinct modules of a design, by Verilog module name.

    :meth:`record` converts a module to RTLIL the first time it is placed
    (so its parent knows whether it has a clock) and refuses a name reused
    for a different module.  :meth:`convert` adds the top and writes every
    module with a single Yosys run (one run costs ~0.5 s of start-up, so one
    per module would not scale).
    """

    def __init__(self):
        self._rtlil: dict[str, str] = {}
        self._modules: dict[str, tuple] = {}       # name -> (identity, signature, clocked)

    def record(self, make, module: str | None = None) -> tuple[str, wiring.Signature, bool]:
        """``(module name, signature, clocked)`` of what ``make()`` builds.

        The component names its module (``module_name``); the first time a
        name is seen the module is converted.  ``module`` overrides the name.
        """
        component = unused(make())
        module = module or getattr(component, "module_name", None)
        if not isinstance(module, str):
            raise TypeError(f"{type(component).__name__} has no module_name: it cannot be "
                            f"emitted as a separate module")
        identity = _identity(component)
        known = self._modules.get(module)
        if known is not None:
            if known[0] != identity:
                raise ValueError(f"module name {module!r} is already taken by a different "
                                 f"module ({known[0][1]} with other parameters or ports)")
            return module, known[1], known[2]
        self._modules[module] = (identity, component.signature, None)
        text = rtlil.convert(component, name=module, emit_src=False)
        clocked = re.search(r"^\s*wire width 1 input \d+\s+\\clk$", text, re.M) is not None
        self._rtlil[module] = text
        self._modules[module] = (identity, component.signature, clocked)
        return module, component.signature, clocked

    @property
    def modules(self) -> list[str]:
        return sorted(self._rtlil)

    def convert(self, top, name: str) -> dict[str, str]:
        """Verilog text by module name (submodules of a module stay in its text)."""
        if name in self._rtlil:
            raise ValueError(f"module name {name!r} is already taken inside the design")
        self._rtlil[name] = rtlil.convert(top, name=name, emit_src=False)
        return self._verilog()

    def convert_structural(self, name: str, text: str) -> dict[str, str]:
        """The recorded modules plus a top written as Verilog ``text`` (see hdl.emit.structural)."""
        if name in self._rtlil:
            raise ValueError(f"module name {name!r} is already taken inside the design")
        return dict(self._verilog(), **{name: text})

    def _verilog(self) -> dict[str, str]:
        rtlil_text = "\n".join(self._rtlil[k] for k in sorted(self._rtlil))
        verilog = portable(_convert_rtlil_text(rtlil_text))
        return _split(verilog, sorted(self._rtlil))


def _split(verilog: str, modules: list[str]) -> dict[str, str]:
    """Group the written modules by the emitted module they belong to."""
    header, _, body = verilog.partition("\n\n")
    chunks, current = {}, []
    for line in (header + "\n\n" + body).splitlines(keepends=True):
        current.append(line)
        if line.startswith("endmodule"):
            text = "".join(current)
            current = []
            decl = next(line for line in text.splitlines() if line.startswith("module "))
            ident = decl.split()[1].split("(")[0].lstrip("\\")
            owner = max((mod for mod in modules if ident == mod or ident.startswith(mod + ".")),
                        key=len)
            chunks.setdefault(owner, []).append(text.lstrip("\n"))
    return {mod: "".join(chunks[mod]) for mod in modules}
