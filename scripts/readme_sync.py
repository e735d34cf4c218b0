"""Copy the headline figures of the generated reports into README.md.

README.md carries blocks between ``<!-- begin: NAME | FILE | SECTION -->`` and
``<!-- end: NAME -->``; each is the named section's first table (and any
paragraph before it) of a report that a make target regenerates.  So the
README never carries a hand-typed number: ``python -m scripts.readme_sync``
rewrites the blocks, ``--check`` exits 1 when one is stale (the test suite
runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- begin: (?P<name>[\w-]+) \| (?P<file>[^|]+?) \| (?P<section>.+?) -->\n)"
                   r"(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def section_table(report: Path, heading: str) -> str:
    """The first table of the section titled ``heading`` (a ``## `` heading) of ``report``."""
    if not report.exists():
        raise FileNotFoundError(f"{report.relative_to(ROOT)} does not exist: run its make target")
    text = report.read_text()
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if match is None:
        raise ValueError(f"{report.relative_to(ROOT)} has no section '## {heading}'")
    lines = [line for line in match.group(1).splitlines() if line.startswith("|")]
    if not lines:
        raise ValueError(f"section '{heading}' of {report.relative_to(ROOT)} has no table")
    return "\n".join(lines) + "\n"


def synced(readme: str) -> str:
    def fill(m):
        table = section_table(ROOT / m["file"], m["section"])
        return m.group(1) + table + m.group(6)
    return BLOCK.sub(fill, readme)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if a block is stale")
    args = p.parse_args(argv)
    try:
        text = README.read_text()
        new = synced(text)
    except (FileNotFoundError, ValueError) as e:
        print(f"readme_sync: {e}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print("README.md is stale: run python -m scripts.readme_sync", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
