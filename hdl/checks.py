"""Parameter checks shared by every component (one rule, one message).

Wrong types raise ``TypeError`` and wrong values ``ValueError``, as
:mod:`golden.sparq` does; each message names the parameter, the value and
what is allowed.
"""

from __future__ import annotations

import numbers

from amaranth import Shape

from golden.sparq import Config

__all__ = ["ACC_WIDTHS", "check_int", "check_acc_width", "check_config", "check_choice",
           "check_bool", "width_of"]

#: Accumulator widths the hardware accepts: a product alone is 17 bits, a wrap below 8 bits
#: is no accumulator; 64 is the golden model's int64.
ACC_WIDTHS = range(8, 65)


def check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in ``lo..hi`` (``hi`` None: no upper bound)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        allowed = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


def check_acc_width(acc_width) -> int:
    """An accumulator width in :data:`ACC_WIDTHS`."""
    return check_int("acc_width", acc_width, ACC_WIDTHS.start, ACC_WIDTHS.stop - 1)


def check_config(config) -> Config:
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.sparq.Config, got {config!r}")
    return config


def check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return value


def check_choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}, got {value!r}")
    return value


def width_of(shape) -> int:
    """Bits of any shape-castable, layouts included."""
    return Shape.cast(shape).width
