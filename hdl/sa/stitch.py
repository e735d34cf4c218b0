"""Hierarchical emission: each distinct module is converted once, then instantiated."""

from __future__ import annotations

from amaranth import ClockSignal, Instance, ResetSignal, Shape, Signal, Value
from amaranth.back import rtlil
from amaranth.back.verilog import _convert_rtlil_text
from amaranth.lib import data, wiring

__all__ = ["Hierarchy", "place", "unused"]


def unused(component):
    """Mark a component that only lends its signature or its port signals as used."""
    component._MustUse__silence = True
    return component


class _Ports:
    """Plain wires standing for an instance's ports, seen through the member layouts."""


def place(m, name: str, make, hierarchy: Hierarchy | None = None, module: str | None = None,
          connect: dict | None = None):
    """Add a component to ``m``: a submodule, or an ``Instance`` of ``module``.

    ``make()`` builds the component; with a hierarchy it is only called for the
    first instance of ``module`` (later ones reuse its signature).  ``connect``
    maps port names to the values they attach to; the other ports get fresh
    wires.  Returns what the caller drives and reads: the component itself, or
    an object with one attribute per port.  Instance ports are plain signals
    (seen through a ``View`` where the member has a layout): a signal with a
    layout shape would make every field a named wire of the parent, megabytes
    of Verilog for a 128-column row bus, and sharing one signal between two
    ports saves a copy per bit.
    """
    connect = connect or {}
    if hierarchy is None:
        component = m.submodules[name] = make()
        for port, value in connect.items():
            member = component.signature.members[port]
            mine = getattr(component, port)
            m.d.comb += mine.eq(value) if member.flow == wiring.In else value.eq(mine)
        return component
    signature = hierarchy.record(module, make)
    ports, wires = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}, _Ports()
    for path, member in signature.members.flatten():
        port = "__".join(map(str, path))
        shape = member.shape
        if port in connect:
            value = Value.cast(connect[port])
        else:
            width = data.Layout.cast(shape).size if isinstance(shape, data.Layout) \
                else Shape.cast(shape).width
            value = Signal(width, name=f"{name}__{port}")
        ports[("i_" if member.flow == wiring.In else "o_") + port] = value
        setattr(wires, port, data.View(shape, value) if isinstance(shape, data.Layout) else value)
    m.submodules[name] = Instance(module, **ports)
    return wires


class Hierarchy:
    """The distinct modules of a design, by Verilog module name.

    :meth:`convert` turns the top into RTLIL, then every module it
    instantiates (recorded by :func:`place` while elaborating), and so on;
    a single Yosys run writes all of them (one run costs ~0.5 s of start-up,
    so one per module would not scale).
    """

    def __init__(self):
        self._pending: dict[str, object] = {}
        self._done: dict[str, str] = {}
        self._signatures: dict[str, wiring.Signature] = {}

    def record(self, module: str, make):
        """The signature of ``module``, building it with ``make()`` the first time."""
        if module not in self._signatures:
            component = unused(make())
            self._pending[module] = component
            self._signatures[module] = component.signature
        return self._signatures[module]

    def convert(self, top, name: str) -> dict[str, str]:
        """Verilog text by module name (submodules of a module stay in its text)."""
        self._pending[name] = top
        while self._pending:
            module, component = self._pending.popitem()
            self._done[module] = rtlil.convert(component, name=module, emit_src=False)
        verilog = _convert_rtlil_text("\n".join(self._done[k] for k in sorted(self._done)))
        return _split(verilog, sorted(self._done))


def _split(verilog: str, modules: list[str]) -> dict[str, str]:
    """Group the written modules by the emitted module they belong to."""
    header, _, body = verilog.partition("\n\n")
    chunks, current = {}, []
    for line in (header + "\n\n" + body).splitlines(keepends=True):
        current.append(line)
        if line.startswith("endmodule"):
            text = "".join(current)
            current = []
            decl = next(l for l in text.splitlines() if l.startswith("module "))
            ident = decl.split()[1].split("(")[0].lstrip("\\")
            owner = max((mod for mod in modules if ident == mod or ident.startswith(mod + ".")),
                        key=len)
            chunks.setdefault(owner, []).append(text.lstrip("\n"))
    return {mod: "".join(chunks[mod]) for mod in modules}
