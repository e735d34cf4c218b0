"""The port reference (docs/ports.md) is current and its width formulas hold at any size."""

from __future__ import annotations

from pathlib import Path

import pytest

from hdl import ports
from hdl.emit.manifest import evaluate, ports_of

pytestmark = pytest.mark.xdist_group("manifests")

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ports.md"


def test_the_committed_reference_is_a_fresh_generation():
    fresh = ports.render()
    current = DOC.read_text() if DOC.exists() else ""
    if current != fresh:
        diff = next((i for i, (a, b) in enumerate(zip(current.splitlines(), fresh.splitlines(),
                                                      strict=False)) if a != b), None)
        pytest.fail(f"docs/ports.md is not current (first difference at line "
                    f"{(diff or 0) + 1}); regenerate it: python -m hdl.ports -o docs/ports.md",
                    pytrace=False)


@pytest.mark.parametrize("sizes", [{"rows": 33, "cols": 9, "acc_width": 48},
                                   {"rows": 2, "cols": 64, "acc_width": 8}])
def test_width_formulas_hold_at_sizes_they_were_not_fitted_at(sizes):
    """33 rows and 64 columns cross the SA's tile edge (32): the ports do not care."""
    for entry in ports.entries():
        m = entry.manifest
        own = {k: sizes[k] for k in ports._sizes(m)}
        if m["arch"] != "sa" and own.get("rows", 0) > 32:
            own["rows"] = 17
        rebuilt = ports_of(ports._component(m, {**ports.DEFAULTS, **own}))
        for port, formula in zip(rebuilt, ports.width_formulas(m).values(), strict=True):
            assert evaluate(formula["width_formula"], **own) == port["width"], \
                (m["top"], port["name"])


def test_check_and_output(tmp_path, capsys):
    out = tmp_path / "ports.md"
    assert ports.main(["-o", str(out)]) == 0
    assert out.read_text() == ports.render()
    assert ports.main(["--check", str(out)]) == 0
    out.write_text(out.read_text().replace("## TRU", "## TRU unit"))
    assert ports.main(["--check", str(out)]) == 1
    assert "is not current" in capsys.readouterr().err
