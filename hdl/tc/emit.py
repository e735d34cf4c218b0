"""Hierarchical Verilog of the tensor-core arrays: each distinct module converted once."""

from __future__ import annotations

from golden.sparq import Config
from hdl.sa.stitch import Hierarchy

__all__ = ["array_names", "emit_array"]


def _name(unit: str, variant: str, config: Config | None, *parts) -> str:
    # Imported late: hdl.generate imports this package's builders.
    from hdl.generate import module_name
    if variant == "sparq":
        return module_name(unit, config, *parts)
    return module_name(unit, None, variant, *parts)


def array_names(arch: str, variant: str, config: Config | None, rows: int, cols: int,
                acc_width: int) -> tuple[str, dict]:
    """The top's Verilog name and the module ``names`` the array instantiates."""
    from hdl.generate import module_name
    top = _name(f"{arch}_array", variant, config, f"{rows}x{cols}", f"acc{acc_width}")
    names = {"dp": _name(f"{arch}_array_dp", variant, config, f"acc{acc_width}"),
             "row": _name(f"{arch}_array_row", variant, config, f"c{cols}", f"acc{acc_width}")}
    if arch == "stc" and variant == "sparq":
        names["select"] = _name("stc_select", variant, config)
    elif variant == "sparq":
        names["tru"] = module_name("tru", config)
    return top, names


def emit_array(arch: str, variant: str, config: Config | None = None, *, rows: int = 4,
               cols: int = 4, acc_width: int = 32):
    """``(top, {file name: Verilog}, array)`` of a TC (``"tc"``) or STC (``"stc"``) array."""
    from hdl.tc.array import TensorCore
    from hdl.tc.sparse_array import SparseTensorCore
    hierarchy = Hierarchy()
    top, names = array_names(arch, variant, config, rows, cols, acc_width)
    cls = TensorCore if arch == "tc" else SparseTensorCore
    array = cls(variant=variant, config=config, rows=rows, cols=cols, acc_width=acc_width,
                hierarchy=hierarchy, names=names)
    return top, {f"{mod}.v": text for mod, text in hierarchy.convert(array, top).items()}, array
