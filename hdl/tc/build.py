"""Emission of TC/STC dot-product units and arrays (``--arch tc|stc --unit dp|array``)."""

from __future__ import annotations

from hdl.emit.hierarchy import Hierarchy
from hdl.emit.manifest import Emission, Timing, manifest, ports_of
from hdl.emit.target import Request, Target
from hdl.emit.verilog import convert
from hdl.tc.array import TensorCore
from hdl.tc.sparse_array import SparseTensorCore
from hdl.tc.sparse_dp import SparseDotProduct
from hdl.tc.variants import ARRAY_VARIANTS, DP_VARIANTS, make_dp

__all__ = ["TARGETS", "emit_array", "array_class", "unit_timing", "array_timing"]

#: Largest tile side of the CLI (a tensor core is 4 x 4).
MAX_SIDE = 256


def array_class(arch: str):
    return {"tc": TensorCore, "stc": SparseTensorCore}[arch]


def emit_array(arch: str, variant: str, config=None, *, rows: int = 4, cols: int = 4,
               acc_width: int = 32):
    """``(top, {file name: Verilog}, array)`` of a TC (``"tc"``) or STC (``"stc"``) array."""
    hierarchy = Hierarchy()
    array = array_class(arch)(variant=variant, config=config, rows=rows, cols=cols,
                              acc_width=acc_width, hierarchy=hierarchy)
    files = {f"{m}.v": text for m, text in array.emit(hierarchy).items()}
    return array.module_name, files, array


def unit_timing(unit, k_step: int) -> Timing:
    return Timing(latency=unit.latency, k_step=k_step, macs_per_cycle=k_step,
                  cycles={"steps": f"ceil_div(K, {k_step})"},
                  variables={"K": "reduction length"},
                  notes="out_d holds the sum of the operands presented latency cycles "
                        "earlier with in_valid; held while no result arrives")


def array_timing(array) -> Timing:
    steps = f"ceil_div(K, {array.k_step})"
    return Timing(
        latency=array.latency, k_step=array.k_step,
        macs_per_cycle=array.rows * array.cols * array.k_step,
        cycles={"steps": steps, "sweep": f"{steps} - 1 + {array.latency}",
                "stream": f"T * {steps} - 1 + {array.latency}"},
        variables={"K": "reduction length of a sweep", "T": "sweeps back to back"},
        notes="sweep: cycles from the first step of a sweep over K to its out_valid, "
              "one step a cycle; sweeps may run back to back")


def _dp(request: Request) -> Emission:
    if request.arch == "tc":
        unit = make_dp(request.variant, request.config, request.acc_width)
        k_step = unit.k_step
    else:
        unit = SparseDotProduct(variant=request.variant, config=request.config,
                                acc_width=request.acc_width)
        k_step = unit.k_step
    name = unit.module_name
    return Emission(name, {f"{name}.v": convert(unit, name)}, manifest(
        arch=request.arch, unit="dp", variant=request.variant, config=unit.config,
        parameters={"acc_width": request.acc_width}, ports=ports_of(unit),
        timing=unit_timing(unit, k_step)))


def _array(request: Request) -> Emission:
    top, files, array = emit_array(request.arch, request.variant, request.config,
                                   rows=request.rows, cols=request.cols,
                                   acc_width=request.acc_width)
    return Emission(top, files, manifest(
        arch=request.arch, unit="array", variant=request.variant, config=request.config,
        parameters={"rows": request.rows, "cols": request.cols,
                    "acc_width": request.acc_width},
        ports=ports_of(array), timing=array_timing(array)))


def _takes_words(request: Request) -> bool:
    return DP_VARIANTS[request.variant].takes_words


def _order(variants):
    return ("sparq",) + tuple(v for v in variants if v != "sparq")


TARGETS = [
    Target("tc", "dp", _order(DP_VARIANTS), frozenset({"acc_width"}), _dp,
           summary="one tensor-core dot-product unit"),
    Target("tc", "array", _order(ARRAY_VARIANTS),
           frozenset({"rows", "cols", "acc_width", "rounding"}), _array,
           has_tru=_takes_words, max_side=MAX_SIDE, summary="rows x cols tensor core"),
    Target("stc", "dp", _order(ARRAY_VARIANTS), frozenset({"acc_width", "rounding"}), _dp,
           has_tru=_takes_words, summary="one 2:4 sparse dot-product unit (selection + DP)"),
    Target("stc", "array", _order(ARRAY_VARIANTS),
           frozenset({"rows", "cols", "acc_width", "rounding"}), _array,
           has_tru=_takes_words, max_side=MAX_SIDE, summary="rows x cols 2:4 sparse tensor core"),
]
