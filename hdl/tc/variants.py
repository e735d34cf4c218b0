"""The tensor-core variant table: the one place a new dot-product unit is registered.

Each entry is a :class:`~hdl.tc.dp_base.DotProductUnit` subclass carrying its
name, title, ``k_step``, ``act_bits``, ``takes_words``, ``config_rule``,
``in_arrays``, ``macs_per_cycle()``, ``product()`` and ``reference()``.  The
tensor cores, the sparse tensor cores, the CLI, the benches and the synthesis
flow read them from here.  A sparse (2:4) unit covers twice its DP unit's
``k_step`` of dense K a cycle.
"""

from __future__ import annotations

from golden.sparq import Config
from hdl.checks import check_choice
from hdl.tc.dp_2x4b8b import Reference4bDotProduct
from hdl.tc.dp_8b8b import BaselineDotProduct
from hdl.tc.dp_base import DotProductUnit
from hdl.tc.dp_sparq import SparqDotProduct

__all__ = ["DP_VARIANTS", "ARRAY_VARIANTS", "dp_class", "make_dp", "STC_DENSITY"]

#: Variant name -> DP unit class.
DP_VARIANTS: dict[str, type[DotProductUnit]] = {
    cls.name: cls for cls in (BaselineDotProduct, Reference4bDotProduct, SparqDotProduct)}

#: The variants the TC and STC arrays (and the STC units) are built from.
ARRAY_VARIANTS = tuple(name for name, cls in DP_VARIANTS.items() if cls.in_arrays)

#: Dense K per weight slot of a 2:4 sparse unit: half of every group of 4 is skipped.
STC_DENSITY = 2


def dp_class(variant: str, arrays: bool = False) -> type[DotProductUnit]:
    """The DP unit class of ``variant`` (among :data:`ARRAY_VARIANTS` with ``arrays``)."""
    allowed = ARRAY_VARIANTS if arrays else tuple(DP_VARIANTS)
    return DP_VARIANTS[check_choice("variant", variant, allowed)]


def make_dp(variant: str, config: Config | None = None, acc_width: int = 32) -> DotProductUnit:
    """A dot-product unit of ``variant``; a configuration only where it takes one."""
    return dp_class(variant).build(config, acc_width)
