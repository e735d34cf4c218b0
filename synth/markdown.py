"""Markdown helpers shared by the generated reports."""

from __future__ import annotations

__all__ = ["fmt", "table"]


def fmt(value, spec: str = "{:.2f}") -> str:
    """``value`` formatted by ``spec``, ``-`` for a missing value."""
    return "-" if value is None else spec.format(value)


def table(header, rows) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)
