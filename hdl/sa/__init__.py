"""Output-stationary systolic arrays: SPARQ PEs, the paper's baselines, rows, arrays.

Hierarchy: PE (:mod:`hdl.sa.pe_base` and one file per variant) -> row
(:mod:`hdl.sa.row`) -> array (:mod:`hdl.sa.array`); :mod:`hdl.sa.emit` writes
each distinct module once and stitches them with ``Instance``.
"""

from amaranth.lib import wiring

from golden.sparq import Config
from hdl.sa.pe_2x4b8b import PE2x4b8b
from hdl.sa.pe_8b8b import PE8b8b
from hdl.sa.pe_base import Ctl, SystolicPE
from hdl.sa.pe_sparq import SparqPE
from hdl.sa.pe_sysmt import SYSMT_CONFIG, SysmtPE

__all__ = ["PE_VARIANTS", "make_pe", "Ctl", "SystolicPE", "PE8b8b", "PE2x4b8b", "SparqPE",
           "SysmtPE", "SYSMT_CONFIG"]

#: PE variants: the 8b-8b and 2x4b-8b baselines, SPARQ, and SySMT.
PE_VARIANTS = ("8b8b", "2x4b8b", "sparq", "sysmt")


def make_pe(variant: str, config: Config | None = None, acc_width: int = 32) -> wiring.Component:
    """A PE of ``variant`` (one of :data:`PE_VARIANTS`).

    ``config`` is required for ``"sparq"`` and ignored by the baselines
    (SySMT is always 2opt without rounding, :data:`SYSMT_CONFIG`).
    """
    if variant not in PE_VARIANTS:
        raise ValueError(f"PE variant must be one of {', '.join(PE_VARIANTS)}, got {variant!r}")
    if variant == "sparq":
        if config is None:
            raise ValueError("the sparq PE needs a config (golden.sparq.Config)")
        return SparqPE(config=config, acc_width=acc_width)
    return {"8b8b": PE8b8b, "2x4b8b": PE2x4b8b, "sysmt": SysmtPE}[variant](acc_width=acc_width)
