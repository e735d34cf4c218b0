"""The SA PE variant table: the one place a new PE is registered.

Each entry is a :class:`~hdl.sa.pe_base.SystolicPE` subclass carrying its
name, title, ``k_step`` (reduction elements a beat), ``act_bits``,
``takes_words``, ``config_rule``, ``macs_per_cycle()`` and ``reference()``;
the array, the CLI, the benches and the synthesis flow read them from here.
"""

from __future__ import annotations

from golden.sparq import Config
from hdl.checks import check_choice
from hdl.sa.pe_2x4b8b import PE2x4b8b
from hdl.sa.pe_8b8b import PE8b8b
from hdl.sa.pe_base import SystolicPE
from hdl.sa.pe_sparq import SparqPE
from hdl.sa.pe_sysmt import SysmtPE

__all__ = ["PE_VARIANTS", "pe_class", "make_pe"]

#: Variant name -> PE class: the baselines 8b-8b and 2x4b-8b, SPARQ, SySMT.
PE_VARIANTS: dict[str, type[SystolicPE]] = {
    cls.name: cls for cls in (PE8b8b, PE2x4b8b, SparqPE, SysmtPE)}


def pe_class(variant: str) -> type[SystolicPE]:
    return PE_VARIANTS[check_choice("PE variant", variant, tuple(PE_VARIANTS))]


def make_pe(variant: str, config: Config | None = None, acc_width: int = 32) -> SystolicPE:
    """A PE of ``variant``; a configuration only for the variants built from one."""
    return pe_class(variant).build(config, acc_width)
