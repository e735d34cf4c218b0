"""Hierarchical Verilog of SA PEs and arrays: one module per distinct block."""

from __future__ import annotations

from golden.sparq import Config
from hdl.sa import make_pe
from hdl.sa.array import SystolicArray
from hdl.sa.stitch import Hierarchy

__all__ = ["pe_name", "array_names", "emit_pe", "emit_array"]


def _name(unit: str, variant: str, config: Config | None, *parts) -> str:
    # Imported late: hdl.generate imports this package's builders.
    from hdl.generate import module_name
    if variant == "sparq":
        return module_name(unit, config, *parts)
    return module_name(unit, None, variant, *parts)


def pe_name(variant: str, config: Config | None, acc_width: int) -> str:
    return _name("sa_pe", variant, config, f"acc{acc_width}")


def array_names(variant: str, config: Config | None, rows: int, cols: int, acc_width: int,
                tru: bool = True, tile: int = 32) -> tuple[str, dict]:
    """The top's Verilog name and the ``names`` the array instantiates."""
    from hdl.generate import module_name
    extra = (["packed"] if variant == "sparq" and not tru else []) + \
        ([f"tile{tile}"] if tile != 32 else [])
    top = _name("sa_array", variant, config, f"{rows}x{cols}", f"acc{acc_width}", *extra)
    return top, {
        "pe": pe_name(variant, config, acc_width),
        "row": lambda c: _name("sa_row", variant, config, f"c{c}", f"acc{acc_width}"),
        "tile": lambda r, c: _name("sa_tile", variant, config, f"{r}x{c}", f"acc{acc_width}"),
        "tru": module_name("tru", config) if config is not None else None,
        "delay": lambda width, depth: module_name("sa_delay", None, f"w{width}", f"d{depth}"),
        "skew": lambda width, lanes, reverse: module_name(
            "sa_skew", None, f"w{width}", f"l{lanes}", *(["rev"] if reverse else [])),
    }


def emit_pe(variant: str, config: Config | None = None, acc_width: int = 32):
    """``(top, {file name: Verilog}, pe)`` of one PE."""
    pe = make_pe(variant, config, acc_width)
    top = pe_name(variant, config, acc_width)
    return top, {f"{mod}.v": text for mod, text in Hierarchy().convert(pe, top).items()}, pe


def emit_array(variant: str, config: Config | None = None, *, rows: int, cols: int,
               acc_width: int = 32, tru: bool = True, tile: int = 32):
    """``(top, {file name: Verilog}, array)``: each distinct module converted once."""
    hierarchy = Hierarchy()
    top, names = array_names(variant, config, rows, cols, acc_width, tru, tile)
    array = SystolicArray(variant=variant, config=config, rows=rows, cols=cols,
                          acc_width=acc_width, tru=tru, tile=tile, hierarchy=hierarchy,
                          names=names)
    return top, {f"{mod}.v": text for mod, text in hierarchy.convert(array, top).items()}, array
