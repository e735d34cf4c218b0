"""The designs the area flow synthesizes, and how their modules map to components.

A :class:`Design` names one unit (an SA PE, a TC dot-product unit, an STC
unit, a TRU or a building block) by kind and variant.  The variant lists come
from the hardware's own variant tables (:mod:`hdl.sa.variants`,
:mod:`hdl.tc.variants`): a variant built from a configuration is synthesized
once per preset, the others once.  A design is built inside the worker
process, so the registry itself is cheap to pickle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amaranth.hdl import Fragment

from golden.sparq import PRESETS, Config
from hdl.emit.naming import module_name
from hdl.sa.variants import PE_VARIANTS
from hdl.tc.variants import ARRAY_VARIANTS, DP_VARIANTS, STC_DENSITY

__all__ = ["Design", "CATEGORIES", "all_designs", "module_classes", "category_of",
           "SA_VARIANTS", "TC_VARIANTS", "STC_VARIANTS", "PRESET_NAMES"]

PRESET_NAMES = tuple(f"{k}opt" for k in sorted(PRESETS))


def _expand(table: dict) -> tuple[str, ...]:
    """Variant names with each configuration-built variant replaced by every preset."""
    return tuple(name for variant, cls in table.items()
                 for name in (PRESET_NAMES if cls.config_rule else (variant,)))


SA_VARIANTS = _expand(PE_VARIANTS)
TC_VARIANTS = _expand(DP_VARIANTS)
STC_VARIANTS = _expand({v: DP_VARIANTS[v] for v in ARRAY_VARIANTS})
#: Building blocks: multipliers of every slot width and one two-slot multiplier.
BLOCK_VARIANTS = ("mult8x8", "mult4x8", "mult3x8", "mult2x8", "twoslot_5opt", "twoslot_2opt")

#: Breakdown categories, in stacking order.  "control and glue" is the unit top's own
#: logic: register enables, clear and drain muxes (OSU018 has no enable or reset flops).
CATEGORIES = ("multipliers", "shifters and muxes", "adder tree", "trim and round",
              "sparse selection", "registers", "control and glue")
_CLASS_CATEGORY = {"Multiplier": "multipliers", "AdderTree": "adder tree",
                   "Window": "trim and round", "TrimRoundUnit": "trim and round",
                   "TwoSlotMultiplier": "shifters and muxes",
                   "SparseSelect": "sparse selection", "GroupSelect": "sparse selection"}


@dataclass(frozen=True)
class Design:
    """One unit to synthesize.

    Parameters
    ----------
    kind : str
        ``"sa_pe"``, ``"tc_dp"``, ``"stc_dp"`` (2:4 sparse TC unit), ``"tru"`` or ``"block"``.
    variant : str
        A table variant that takes no configuration (``"8b8b"``, ``"2x4b8b"``,
        ``"sysmt"``), a preset name such as ``"5opt"`` (the SPARQ variant with
        that preset) or, for a block, one of ``BLOCK_VARIANTS``.
    acc_width : int
    """

    kind: str
    variant: str
    acc_width: int = 32

    @property
    def key(self) -> str:
        return f"{self.kind}_{self.variant}"

    @property
    def config(self) -> Config | None:
        match = re.search(r"(\d)opt$", self.variant)
        return Config.preset(int(match.group(1))) if match else None

    @property
    def table_variant(self) -> str:
        """The variant-table entry: ``"sparq"`` for a preset, else the variant itself."""
        return "sparq" if self.config is not None else self.variant

    @property
    def top(self) -> str:
        """The unit's Verilog module name, by the project's one naming scheme."""
        if self.kind == "tru":
            return module_name("tru", self.config)
        if self.kind == "block":
            return module_name("block", self.variant)
        return module_name(self.kind, self.config or self.variant, f"acc{self.acc_width}")

    @property
    def macs_per_cycle(self) -> int | None:
        """Dense-equivalent MACs a cycle of a PE or DP unit, from the variant tables.

        A sparse (2:4) DP unit covers twice its DP unit's K a cycle.
        """
        if self.kind == "sa_pe":
            return PE_VARIANTS[self.table_variant].macs_per_cycle()
        if self.kind == "tc_dp":
            return DP_VARIANTS[self.table_variant].macs_per_cycle()
        if self.kind == "stc_dp":
            return STC_DENSITY * DP_VARIANTS[self.table_variant].macs_per_cycle()
        return None

    def build(self):
        """The Amaranth component."""
        cfg = self.config
        if self.kind == "tru":
            from hdl.tru import TrimRoundUnit
            return TrimRoundUnit(config=cfg)
        if self.kind == "block":
            return _block(self.variant, cfg)
        if self.kind == "stc_dp":
            from hdl.tc.sparse_dp import SparseDotProduct
            return SparseDotProduct(variant=self.table_variant, config=cfg,
                                    acc_width=self.acc_width)
        table = {"sa_pe": PE_VARIANTS, "tc_dp": DP_VARIANTS}[self.kind]
        return table[self.table_variant].build(cfg, self.acc_width)


def _block(variant, cfg):
    if variant.startswith("mult"):
        from hdl.multiplier import Multiplier
        a_bits, b_bits = map(int, variant[4:].split("x"))
        return Multiplier(a_bits=a_bits, b_bits=b_bits)
    from hdl.slot_mult import TwoSlotMultiplier
    return TwoSlotMultiplier(config=cfg)


def all_designs(acc_width: int = 32) -> list[Design]:
    """Every design of the report, biggest first (better load balance in the pool)."""
    return ([Design("tc_dp", v, acc_width) for v in TC_VARIANTS]
            + [Design("stc_dp", v, acc_width) for v in STC_VARIANTS]
            + [Design("sa_pe", v, acc_width) for v in SA_VARIANTS]
            + [Design("tru", p) for p in PRESET_NAMES]
            + [Design("block", v) for v in BLOCK_VARIANTS])


def module_classes(component, top: str) -> dict[str, str]:
    """Verilog module name (``top.sub.subsub``) -> Python class name of the component."""
    classes = {}

    def walk(fragment, path):
        classes[".".join(path)] = type(fragment.origins[0]).__name__ if fragment.origins else "?"
        for index, (sub, name, _loc) in enumerate(fragment.subfragments):
            walk(sub, (*path, name if name is not None else f"U${index}"))

    walk(Fragment.get(component, None), (top,))
    return classes


def category_of(module: str, classes: dict[str, str]) -> str:
    """Breakdown category of a module's own (non-register) cells.

    The weight muxes and shift-left units live in the two-slot multiplier;
    the own logic of any other component (PE and DP tops: enables, clears,
    drain muxes) is control and glue.
    """
    cls = classes.get(module) or classes.get(re.sub(r"\$\d+(?=\.|$)", "", module))
    return _CLASS_CATEGORY.get(cls, "control and glue")
