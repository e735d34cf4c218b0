"""A deliberately broken copy of an emitted unit, by a text edit of its Verilog.

The mutation check proves such a copy and expects a counterexample, so a flow
that always says "proved" is caught.
"""

from __future__ import annotations

import re

__all__ = ["mutate_shift", "MutationNotFound"]


class MutationNotFound(ValueError):
    """The Verilog has no left shift of the expected form to break."""


_SHIFT = re.compile(r"\{\s*(\\?[\w$.\[\]]+?)\s*,\s*(\d+)'h0\s*\}")
_DECL = r"(?:wire|reg)\s+(?:signed\s+)?\[(\d+):0\]\s+{name}\s*[;=]"


def mutate_shift(files: dict[str, str]) -> tuple[dict[str, str], str]:
    """Change one constant left shift ``{ p, K'h0 }`` (``p << K``) into ``p << (K - 1)``.

    The width is kept: ``{ p[msb], p, (K-1)'h0 }`` (sign-extended by one bit).
    Returns the new files and a description of the edit.  The first shift by
    ``K >= 2`` of a signal whose declaration is found is changed.
    """
    for fname in sorted(files):
        text = files[fname]
        for m in _SHIFT.finditer(text):
            name, k = m.group(1), int(m.group(2))
            if k < 2 or "[" in name:
                continue
            decl = re.search(_DECL.format(name=re.escape(name)), text)
            if not decl:
                continue
            msb = int(decl.group(1))
            sep = " " if name.startswith("\\") else ""
            new = f"{{ {name}{sep}[{msb}], {name}{sep}, {k - 1}'h0 }}"
            line = text.count("\n", 0, m.start()) + 1
            edited = text[:m.start()] + new + text[m.end():]
            return ({**files, fname: edited},
                    f"{fname}:{line}: {m.group(0)} -> {new} (a shift by {k} became {k - 1})")
    raise MutationNotFound("no constant left shift { p, K'h0 } with K >= 2 found to break")
