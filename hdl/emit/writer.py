"""The atomic writer: every file of an emission lands, or none does."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hdl.emit.manifest import Emission

__all__ = ["check_output", "write"]


def check_output(out) -> Path:
    """``out`` as a folder we can write into, created if missing; ValueError saying why not.

    Called before any generation, so a bad folder costs no time.
    """
    if str(out).strip() == "":
        raise ValueError("the output folder is empty: give a folder, e.g. -o build")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise ValueError(f"cannot write to {out}: {e.strerror or e}") from None
    return out


def write(emission: Emission, out: Path) -> list[Path]:
    """Write the files and ``<top>.json`` into ``out``, all or nothing.

    Everything is staged in a temporary folder inside ``out`` first; then
    each file replaces its target, the manifest last.  If a move fails, the
    files already moved are taken back (and overwritten ones restored), so
    ``out`` holds either the whole new emission or what it held before.
    """
    out = check_output(out)
    manifest = dict(emission.manifest, top=emission.top, files=sorted(emission.files))
    staged = dict(sorted(emission.files.items()))
    staged[f"{emission.top}.json"] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    with tempfile.TemporaryDirectory(dir=out, prefix=".staging-") as tmp:
        tmp = Path(tmp)
        (tmp / "new").mkdir()
        (tmp / "old").mkdir()
        for name, text in staged.items():
            (tmp / "new" / name).write_text(text)
        moved: list[str] = []
        try:
            for name in staged:                # manifest last: it lists complete files only
                if (out / name).exists():
                    os.replace(out / name, tmp / "old" / name)
                moved.append(name)
                os.replace(tmp / "new" / name, out / name)
        except BaseException:
            _roll_back(out, tmp / "old", moved)
            raise
    return [out / name for name in staged]


def _roll_back(out: Path, old: Path, moved: list[str]) -> None:
    for name in reversed(moved):
        (out / name).unlink(missing_ok=True)
        if (old / name).exists():
            os.replace(old / name, out / name)
