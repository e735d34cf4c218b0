"""Emission as a library, below every array package.

- :mod:`~hdl.emit.naming`: the one naming scheme of modules.
- :mod:`~hdl.emit.hierarchy`: each distinct module converted once and placed
  as an ``Instance``.
- :mod:`~hdl.emit.verilog`: Verilog text, deterministic and correct from time 0.
- :mod:`~hdl.emit.manifest`: the manifest record and its cycle expressions.
- :mod:`~hdl.emit.writer`: the all-or-nothing writer.
"""

from hdl.emit.hierarchy import Hierarchy, place, unused
from hdl.emit.manifest import Emission, Timing, evaluate, manifest, ports_of
from hdl.emit.naming import module_name, variant_label
from hdl.emit.verilog import convert
from hdl.emit.writer import check_output, write

__all__ = ["Hierarchy", "place", "unused", "Emission", "Timing", "evaluate", "manifest",
           "ports_of", "module_name", "variant_label", "convert", "check_output", "write"]
