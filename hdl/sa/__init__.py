"""Output-stationary systolic arrays: SPARQ PEs, the paper's baselines, rows, arrays.

Hierarchy: PE (:mod:`hdl.sa.pe_base` and one file per variant, registered in
:mod:`hdl.sa.variants`) -> row (:mod:`hdl.sa.row`) -> tile
(:mod:`hdl.sa.tile`) -> array (:mod:`hdl.sa.array`); :mod:`hdl.sa.build`
emits them through :mod:`hdl.emit`.
"""

from hdl.sa.pe_2x4b8b import PE2x4b8b
from hdl.sa.pe_8b8b import PE8b8b
from hdl.sa.pe_base import Ctl, SystolicPE
from hdl.sa.pe_sparq import SparqPE
from hdl.sa.pe_sysmt import SYSMT_CONFIG, SysmtPE
from hdl.sa.variants import PE_VARIANTS, make_pe, pe_class

__all__ = ["PE_VARIANTS", "make_pe", "pe_class", "Ctl", "SystolicPE", "PE8b8b", "PE2x4b8b",
           "SparqPE", "SysmtPE", "SYSMT_CONFIG"]
