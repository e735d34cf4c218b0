"""Emission of SA PEs and arrays (``python -m hdl.generate --arch sa --unit pe|array``)."""

from __future__ import annotations

from hdl.emit.hierarchy import Hierarchy, unused
from hdl.emit.manifest import Emission, Timing, manifest, ports_of
from hdl.emit.target import Request, Target
from hdl.sa.array import SystolicArray
from hdl.sa.variants import PE_VARIANTS, make_pe

__all__ = ["TARGETS", "emit_pe", "emit_array", "pe_timing", "array_timing"]


def _files(hierarchy: Hierarchy, top, name: str) -> dict[str, str]:
    return {f"{mod}.v": text for mod, text in hierarchy.convert(top, name).items()}


def emit_pe(variant: str, config=None, acc_width: int = 32):
    """``(top, {file name: Verilog}, pe)`` of one PE."""
    pe = make_pe(variant, config, acc_width)
    return pe.module_name, _files(Hierarchy(), pe, pe.module_name), pe


def emit_array(variant: str, config=None, *, rows: int, cols: int, acc_width: int = 32,
               input: str = "raw", tile: int = 32):
    """``(top, {file name: Verilog}, array)``: each distinct module converted once."""
    hierarchy = Hierarchy()
    array = SystolicArray(variant=variant, config=config, rows=rows, cols=cols,
                          acc_width=acc_width, input=input, tile=tile, hierarchy=hierarchy)
    return array.module_name, _files(hierarchy, array, array.module_name), array


def pe_timing(pe) -> Timing:
    return Timing(latency=pe.latency, k_step=pe.k_step, macs_per_cycle=pe.macs_per_cycle(),
                  cycles={"beats": f"ceil_div(K, {pe.k_step})"},
                  variables={"K": "reduction length of one dot product"},
                  notes="one beat a cycle while in_ctl.valid; the result is captured on "
                        "in_ctl.last and done rises latency cycles later")


def array_timing(array: SystolicArray) -> Timing:
    beats = f"ceil_div(K, {array.k_step})"
    tile = f"{beats} - 1 + {array.latency} + {array.rows}"
    return Timing(
        latency=array.latency, k_step=array.k_step,
        macs_per_cycle=array.rows * array.cols * array.pe_class.macs_per_cycle(),
        cycles={"beats": beats, "tile": tile,
                "stream": f"(T - 1) * max({beats}, {array.rows}) + {tile}"},
        variables={"K": "reduction length of a tile (the same for every tile of a stream)",
                   "T": "tiles streamed back to back"},
        notes="latency: cycles from a tile's in_last beat to its first result row; tile: from "
              "its first beat to its last result row, inclusive; in_last beats at least rows "
              "cycles apart")


def _pe(request: Request) -> Emission:
    top, files, pe = emit_pe(request.variant, request.config, request.acc_width)
    return Emission(top, files, manifest(
        arch="sa", unit="pe", variant=request.variant, config=pe.config,
        parameters={"acc_width": request.acc_width}, ports=ports_of(pe), timing=pe_timing(pe)))


def _array(request: Request) -> Emission:
    top, files, array = emit_array(request.variant, request.config, rows=request.rows,
                                   cols=request.cols, acc_width=request.acc_width,
                                   input=request.input)
    pe = unused(array.make_pe())
    return Emission(top, files, manifest(
        arch="sa", unit="array", variant=request.variant, config=pe.config,
        parameters={"rows": array.rows, "cols": array.cols, "acc_width": request.acc_width,
                    "input": request.input, "tile": 32},
        ports=ports_of(array), timing=array_timing(array)))


def _has_tru(request: Request) -> bool:
    return PE_VARIANTS[request.variant].takes_words and request.input == "raw"


_VARIANTS = ("sparq",) + tuple(v for v in PE_VARIANTS if v != "sparq")

TARGETS = [
    Target("sa", "pe", _VARIANTS, frozenset({"acc_width"}), _pe,
           summary="one processing element"),
    Target("sa", "array", _VARIANTS, frozenset({"rows", "cols", "acc_width", "input",
                                                "rounding"}),
           _array, has_tru=_has_tru, max_side=1024,
           summary="rows x cols output-stationary systolic array"),
]
