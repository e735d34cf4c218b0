"""The one naming scheme of emitted modules.

A name is ``sparq_<kind>_<label>_<parameter>...``: the kind of block
(``tru``, ``sa_pe``, ``tc_dp``, ``sa_array``...), then what it computes
(a configuration's name such as ``5opt`` or ``3opt-trim``, or a baseline
such as ``8b8b``) and every other parameter that changes the module
(``acc32``, ``4x4``...).  Two modules with different Verilog never share a
name; :class:`~hdl.emit.hierarchy.Hierarchy` enforces it.
"""

from __future__ import annotations

import re

from golden.sparq import Config

__all__ = ["module_name", "variant_label"]


def variant_label(variant: str, config: Config | None) -> str:
    """``config.name`` for a variant that takes a configuration, else the variant's name."""
    return config.name if config is not None and variant == "sparq" else variant


def module_name(kind: str, *parts) -> str:
    """A Verilog-safe module name; ``parts`` are strings, ints or configurations.

    >>> module_name("sa_pe", Config.preset(3, rounding=False), "acc16")
    'sparq_sa_pe_3opt_trim_acc16'
    """
    words = ["sparq", kind] + [p.name if isinstance(p, Config) else str(p)
                               for p in parts if p is not None and p != ""]
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(words))
