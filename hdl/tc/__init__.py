"""Tensor core (TC) and 2:4 sparse tensor core (STC) after Raihan et al., with SPARQ.

Hierarchy: dot-product (DP) unit (:mod:`~hdl.tc.dp_8b8b`, :mod:`~hdl.tc.dp_2x4b8b`,
:mod:`~hdl.tc.dp_sparq`, registered in :mod:`~hdl.tc.variants`; STC cells add
:mod:`~hdl.tc.sparse_select`) -> row (:mod:`~hdl.tc.row`) -> array
(:mod:`~hdl.tc.array`, :mod:`~hdl.tc.sparse_array`); :mod:`~hdl.tc.build` emits
them through :mod:`hdl.emit`.  See docs/tc.md.
"""

from hdl.tc.dp_2x4b8b import Reference4bDotProduct
from hdl.tc.dp_8b8b import BaselineDotProduct
from hdl.tc.dp_sparq import SparqDotProduct
from hdl.tc.sparse_dp import SparseDotProduct
from hdl.tc.variants import ARRAY_VARIANTS, DP_VARIANTS, dp_class, make_dp

__all__ = ["make_dp", "dp_class", "DP_VARIANTS", "ARRAY_VARIANTS", "BaselineDotProduct",
           "Reference4bDotProduct", "SparqDotProduct", "SparseDotProduct"]
