"""What every entry of a variant table (SA PEs, TC dot-product units) declares about itself."""

from __future__ import annotations

from typing import ClassVar

from golden.sparq import ACT_BITS, Config

__all__ = ["Variant"]


class Variant:
    """Class attributes the CLI, the benches and the synthesis flow read from a variant.

    A PE or DP unit class sets them; :meth:`build` makes one from a request.
    """

    #: The variant's name (``--baseline`` or ``"sparq"``) and its title in reports.
    name: ClassVar[str]
    title: ClassVar[str]
    #: What one is called in messages ("PE", "dot-product unit").
    unit_name: ClassVar[str]
    #: Reduction-axis elements (activation/weight pairs) one beat or step carries.
    k_step: ClassVar[int]
    #: Bits of one activation code at the design's edge.
    act_bits: ClassVar[int] = ACT_BITS
    #: Activations arrive as packed pair words, made by trim-and-round units in front.
    takes_words: ClassVar[bool] = False
    #: ``"required"``: built from a configuration; ``None``: takes none.
    config_rule: ClassVar[str | None] = None

    @classmethod
    def macs_per_cycle(cls) -> int:
        """Dense-equivalent multiply-accumulates a cycle."""
        return cls.k_step

    @classmethod
    def build(cls, config: Config | None = None, acc_width: int = 32):
        """One of this variant; ``config`` only where :attr:`config_rule` asks for one."""
        if cls.config_rule is None:
            if config is not None:
                raise ValueError(f"the {cls.name} {cls.unit_name} takes no SPARQ "
                                 f"configuration, got {config.name}")
            return cls(acc_width=acc_width)
        return cls(config=config, acc_width=acc_width)
