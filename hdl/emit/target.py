"""What can be emitted: a :class:`Target` per ``(arch, unit)`` and the :class:`Request` for it.

Every array package lists its targets (``hdl.sa.build.TARGETS``,
``hdl.tc.build.TARGETS``); :mod:`hdl.generate` validates the command line
against them in one place and hands the builder a typed request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from golden.sparq import Config

__all__ = ["OPTIONS", "Request", "Target"]

#: Options a target may take besides the variant and its configuration.
OPTIONS = ("rows", "cols", "acc_width", "input", "rounding")


@dataclass(frozen=True)
class Request:
    """One validated emission request; options a target does not take are None."""

    arch: str
    unit: str
    variant: str
    config: Config | None = None
    rows: int | None = None
    cols: int | None = None
    acc_width: int | None = None
    input: str | None = None


@dataclass(frozen=True)
class Target:
    """One ``(arch, unit)`` the generator emits.

    Parameters
    ----------
    arch, unit : str
    variants : tuple of str
        ``"sparq"`` and the baselines it can be built as (``--baseline``).
    options : frozenset of str
        The :data:`OPTIONS` that apply; any other given option is refused.
    build : callable
        ``build(request) -> Emission``.
    has_tru : callable
        ``has_tru(request) -> bool``: the design trims and rounds (so
        ``--no-round`` applies); a unit that takes packed words does not.
    max_side : int or None
        Largest ``rows``/``cols``.
    default_side : int
        ``rows`` when not given (``cols`` defaults to ``rows``).
    """

    arch: str
    unit: str
    variants: tuple[str, ...]
    options: frozenset
    build: Callable
    has_tru: Callable = lambda request: False
    max_side: int | None = None
    default_side: int = 4
    summary: str = ""
