"""The standard-cell library: where it is, its cell areas, its NAND2 reference cell."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_LIBERTY", "LIBERTY_ENV", "LibraryMissing", "Liberty", "resolve", "parse"]

#: Debian package ``qflow-tech-osu018``: OSU 0.18 um cells, area in um^2, time in ns.
DEFAULT_LIBERTY = Path("/usr/share/qflow/tech/osu018/osu018_stdcells.lib")
DEFAULT_PACKAGE = "qflow-tech-osu018"
LIBERTY_ENV = "SPARQ_LIBERTY"

_CELL = re.compile(r"\bcell\s*\(\s*\"?([A-Za-z0-9_$.]+)\"?\s*\)\s*\{")
_AREA = re.compile(r"\barea\s*:\s*([0-9.eE+-]+)")
_SEQ = re.compile(r"\b(ff|latch|ff_bank|latch_bank|statetable)\s*\(")
_FF = re.compile(r"\b(ff|ff_bank)\s*\(")
_INPUT = re.compile(r"\bdirection\s*:\s*\"?input\b")
_FUNCTION = re.compile(r"\bfunction\s*:\s*\"([^\"]*)\"")
_UNIT = re.compile(r"\btime_unit\s*:\s*\"?([0-9.]*\s*[a-z]+)\"?")


class LibraryMissing(FileNotFoundError):
    """The liberty file is not there; the message names what to install."""


@dataclass(frozen=True)
class Liberty:
    """The parts of a liberty file the flow needs.

    Attributes
    ----------
    path : Path
    name : str
        The library's name (its ``library (...)`` group).
    areas : dict of str to float
        Cell name -> area in the library's area unit.
    sequential : frozenset of str
        Cells with an ``ff`` or ``latch`` group (registers).
    nand2 : str
        The smallest two-input NAND: the NAND2-equivalent reference.
    time_unit : str
    flops : frozenset of str
        Cells with an ``ff`` group: what ``dfflibmap`` maps registers to.
    inverters, buffers : frozenset of str
        Single-input combinational cells computing ``!A`` or ``A``; ABC cannot
        map logic onto a library lacking either.
    """

    path: Path
    name: str
    areas: dict
    sequential: frozenset
    nand2: str
    time_unit: str
    flops: frozenset = frozenset()
    inverters: frozenset = frozenset()
    buffers: frozenset = frozenset()

    @property
    def nand2_area(self) -> float:
        return self.areas[self.nand2]


def resolve(path: str | os.PathLike | None = None) -> Path:
    """The liberty path: ``path``, else ``$SPARQ_LIBERTY``, else the OSU018 default."""
    if path is None:
        path = os.environ.get(LIBERTY_ENV) or DEFAULT_LIBERTY
    path = Path(path)
    if not path.is_file():
        if path == DEFAULT_LIBERTY:
            raise LibraryMissing(f"liberty file {path} not found: install the Debian package "
                                 f"'{DEFAULT_PACKAGE}' (make setup) or pass --liberty PATH")
        raise LibraryMissing(f"liberty file {path} not found (from --liberty or ${LIBERTY_ENV})")
    return path


def _cell_bodies(text: str):
    """(name, body) of every ``cell`` group, matching braces."""
    for match in _CELL.finditer(text):
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        yield match.group(1), text[match.end():i]


def _single_input_function(body: str) -> str | None:
    """``"!A"`` or ``"A"`` (spaces, parentheses and ``A'`` normalized) of a one-input cell.

    Tri-state cells are left out: ABC does not map onto them.
    """
    functions = _FUNCTION.findall(body)
    if len(_INPUT.findall(body)) != 1 or len(functions) != 1 or "three_state" in body:
        return None
    f = re.sub(r"[\s()]", "", functions[0])
    f = "!" + f[:-1] if f.endswith("'") else f
    return f if re.fullmatch(r"!?[A-Za-z_]\w*", f) else None


def parse(path: str | os.PathLike) -> Liberty:
    """Read cell areas, register cells, inverters and buffers from a liberty file."""
    path = Path(path)
    text = re.sub(r"/\*.*?\*/", "", path.read_text(errors="replace"), flags=re.S)
    lib = re.search(r"\blibrary\s*\(\s*\"?([^\")\s]+)", text)
    areas, sequential, flops, inverters, buffers = {}, set(), set(), set(), set()
    for name, body in _cell_bodies(text):
        area = _AREA.search(body)
        if area:
            areas[name] = float(area.group(1))
        if _SEQ.search(body):
            sequential.add(name)
            if _FF.search(body):
                flops.add(name)
            continue      # a flip-flop's Q (function "DS0000") is no buffer
        function = _single_input_function(body)
        if function is not None:
            (inverters if function.startswith("!") else buffers).add(name)
    nands = [n for n in areas if re.fullmatch(r"(?i).*nand2(x|_x|_)?1?\w*", n) and areas[n] > 0]
    if not nands:
        raise ValueError(f"{path}: no two-input NAND cell to use as the NAND2 reference")
    nand2 = min(nands, key=lambda n: (areas[n], n))
    unit = _UNIT.search(text)
    return Liberty(path, lib.group(1) if lib else path.stem, areas, frozenset(sequential), nand2,
                   unit.group(1).replace(" ", "") if unit else "?", frozenset(flops),
                   frozenset(inverters), frozenset(buffers))
