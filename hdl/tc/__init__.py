"""Tensor core (TC) and 2:4 sparse tensor core (STC) after Raihan et al., with SPARQ.

Hierarchy: dot-product (DP) unit (:mod:`~hdl.tc.dp_8b8b`, :mod:`~hdl.tc.dp_2x4b8b`,
:mod:`~hdl.tc.dp_sparq`; STC cells add :mod:`~hdl.tc.sparse_select`) -> row
(:mod:`~hdl.tc.row`) -> array (:mod:`~hdl.tc.array`, :mod:`~hdl.tc.sparse_array`);
:mod:`~hdl.tc.emit` writes each distinct module once.  ``make_dp`` builds any DP
variant by name (the synthesis flow uses it to compare areas).  See docs/tc.md.
"""

from __future__ import annotations

from amaranth.lib import wiring

from golden.sparq import Config
from hdl.tc.dp_2x4b8b import Reference4bDotProduct
from hdl.tc.dp_8b8b import BaselineDotProduct
from hdl.tc.dp_sparq import SparqDotProduct
from hdl.tc.params import VARIANTS, check_variant
from hdl.tc.sparse_dp import SparseDotProduct

__all__ = ["make_dp", "BaselineDotProduct", "Reference4bDotProduct", "SparqDotProduct",
           "SparseDotProduct", "VARIANTS"]


def make_dp(variant: str, config: Config | None = None, acc_width: int = 32) -> wiring.Component:
    """A dot-product unit: ``"8b8b"``, ``"2x4b8b"`` or ``"sparq"`` (needs ``config``).

    The baselines ignore ``config`` (like the CLI's ``--baseline``), so one loop
    can build every variant for every configuration.

    Every variant wraps ``d`` to ``acc_width`` bits and registers it, so their
    areas compare fairly.
    """
    check_variant(variant)
    if variant == "sparq":
        if config is None:
            raise ValueError("the sparq dot-product unit needs a config (golden.sparq.Config)")
        return SparqDotProduct(config=config, acc_width=acc_width)
    cls = BaselineDotProduct if variant == "8b8b" else Reference4bDotProduct
    return cls(acc_width=acc_width)
