"""Parameter checks and shapes shared by the tensor-core components."""

from __future__ import annotations

from golden.sparq import Config

__all__ = ["check_acc_width", "check_config", "check_size", "check_variant", "check_names", "check_tile_bits",
           "VARIANTS", "SweepTiming"]

#: Dot-product unit variants: the 8b-8b baseline, the ideal 4-bit reference, SPARQ.
VARIANTS = ("8b8b", "2x4b8b", "sparq")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_acc_width(acc_width) -> int:
    """``acc_width`` as an int in 2..64 (the golden model's range), else ValueError."""
    if not _is_int(acc_width) or not 2 <= acc_width <= 64:
        raise ValueError(f"acc_width must be an int in 2..64, got {acc_width!r}")
    return acc_width


def check_config(config) -> Config:
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.sparq.Config, got {config!r}")
    return config


def check_size(name: str, value, hi: int = 1024) -> int:
    if not _is_int(value) or not 1 <= value <= hi:
        raise ValueError(f"{name} must be an int in 1..{hi}, got {value!r}")
    return value


def check_variant(variant, allowed=VARIANTS) -> str:
    if variant not in allowed:
        raise ValueError(f"variant must be one of {', '.join(allowed)}, got {variant!r}")
    return variant


def check_names(hierarchy, names, required) -> dict:
    """Module names of the instantiated blocks: needed with a hierarchy, else unused."""
    if hierarchy is None:
        return {}
    missing = [k for k in required if not isinstance((names or {}).get(k), str)]
    if missing:
        raise ValueError(f"names must give a module name for {', '.join(missing)} "
                         f"when a hierarchy is given, got {names!r}")
    return dict(names)


#: Amaranth's limit on the width of one signal (a netlist value holds at most 2**16 bits).
MAX_PORT_BITS = (1 << 16) - 1


def check_tile_bits(rows: int, cols: int, acc_width: int) -> None:
    """The C and D ports carry ``rows x cols x acc_width`` bits: refuse what Amaranth cannot."""
    bits = rows * cols * acc_width
    if bits > MAX_PORT_BITS:
        raise ValueError(f"a {rows} x {cols} tile with acc_width {acc_width}: in_c and out_d "
                         f"would be {bits} bits, more than the {MAX_PORT_BITS} one signal "
                         f"can hold; use a smaller tile or accumulator")


class SweepTiming:
    """Latency and cycle count of a tensor core; the class supplies ``k_step`` and ``_variant``.

    SPARQ arrays spend one more cycle in the trim-and-round units before the
    dot-product units.
    """

    @property
    def latency(self) -> int:
        """Cycles from the ``in_last`` step to ``out_valid``."""
        return 2 if self._variant == "sparq" else 1

    def cycles(self, k: int) -> int:
        """Cycles from the first step of a K-long sweep to its ``out_valid``, no idles."""
        return -(-k // self.k_step) - 1 + self.latency
