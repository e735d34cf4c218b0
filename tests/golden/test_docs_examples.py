"""The worked examples of docs/arithmetic.md, checked against golden.sparq.

The page keeps its examples in fenced blocks tagged ``sparq-check``::

    ```python sparq-check
    # .venv/bin/python -m tests.golden.test_docs_examples --block window
    quantize([45, 3], Config.preset(5)) == [44, 3]
    Config(4, (0, 1, 2, 3))  # raises ValueError
    ```

The first line of a block is the command that recomputes it (its label must be
unique); every other non-blank, non-comment line is ``EXPR == EXPECTED`` or
``EXPR  # raises ErrorName``.  Both sides are evaluated with ``np`` and
``golden.sparq.__all__`` in scope, plus :func:`legal_shift_sets`.  Results are
compared after turning numpy arrays into nested lists and numpy scalars into
Python numbers (tuples stay tuples), so ``quantize(...) == [44, 3]`` reads the
way the array prints.

Run as a module to recompute the page instead of testing it::

    .venv/bin/python -m tests.golden.test_docs_examples              # every block
    .venv/bin/python -m tests.golden.test_docs_examples --block stc  # one block
    .venv/bin/python -m tests.golden.test_docs_examples 'encode([45, 3], Config.preset(5))'
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import golden.sparq as sparq

DOC = Path(__file__).resolve().parents[2] / "docs" / "arithmetic.md"
TAG = "sparq-check"
COMMAND = ".venv/bin/python -m tests.golden.test_docs_examples"

_FENCE = re.compile(r"^(`{3,})(.*)$")
_HEADER = re.compile(r"^#\s*" + re.escape(COMMAND) + r"\s+--block\s+(?P<label>[\w-]+)\s*$")
_RAISES = re.compile(r"^(?P<expr>.*?)\s*#\s*raises\s+(?P<exc>\w+)\s*$")


def legal_shift_sets(bits: int) -> list[tuple[int, ...]]:
    """Every shift set ``golden.sparq.Config`` accepts for ``bits`` data bits.

    Tries all non-empty subsets of ``0..8-bits``; ordered by size, then
    lexicographically.
    """
    top = sparq.ACT_BITS - bits
    legal = []
    for size in range(1, top + 2):
        for shifts in itertools.combinations(range(top + 1), size):
            try:
                sparq.Config(bits, shifts)
            except ValueError:
                continue
            legal.append(shifts)
    return legal


def namespace() -> dict:
    """What the examples may use: ``np``, the golden model's public names, the helper."""
    names = {name: getattr(sparq, name) for name in sparq.__all__}
    return {"np": np, "legal_shift_sets": legal_shift_sets, **names}


def plain(value):
    """Arrays as nested lists, numpy scalars as Python numbers, recursively."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- parsing

@dataclass(frozen=True)
class Example:
    label: str          # the block's label
    line: int           # 1-based line number in the doc
    expr: str           # the expression to evaluate
    expected: str | None = None     # the expected value's source, for ``==`` lines
    raises: str | None = None       # the exception name, for ``# raises`` lines

    @property
    def id(self) -> str:
        return f"{self.label}:{self.line}"

    def check(self) -> tuple[bool, str]:
        """``(ok, line as it should read)`` after evaluating against golden.sparq."""
        if self.raises is not None:
            try:
                value = eval(self.expr, namespace())
            except Exception as exc:  # noqa: BLE001 - any exception is reported by name
                name = type(exc).__name__
                return name == self.raises, f"{self.expr}  # raises {name}"
            return False, f"{self.expr} == {plain(value)!r}"
        try:
            value = plain(eval(self.expr, namespace()))
        except Exception as exc:  # noqa: BLE001
            return False, f"{self.expr}  # raises {type(exc).__name__}: {exc}"
        expected = plain(eval(self.expected, namespace()))
        return value == expected and type(value) is type(expected), \
            f"{self.expr} == {value!r}"


def _parse_line(label: str, lineno: int, text: str) -> Example:
    m = _RAISES.match(text)
    if m:
        ast.parse(m["expr"], mode="eval")
        return Example(label, lineno, m["expr"], raises=m["exc"])
    tree = ast.parse(text, mode="eval").body
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1
            and isinstance(tree.ops[0], ast.Eq)):
        raise SyntaxError("expected `EXPR == EXPECTED` or `EXPR  # raises ErrorName`")
    return Example(label, lineno, ast.get_source_segment(text, tree.left),
                   expected=ast.get_source_segment(text, tree.comparators[0]))


def parse(text: str) -> tuple[list[Example], list[str]]:
    """The examples of a page and a list of problems (bad headers, bad lines)."""
    examples, problems, labels = [], [], set()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        ticks, info = fence.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == ticks), None)
        if end is None:
            problems.append(f"line {i + 1}: unclosed code block")
            break
        if TAG in info.split():
            body = lines[i + 1:end]
            header = _HEADER.match(body[0]) if body else None
            if header is None:
                problems.append(f"line {i + 2}: a {TAG} block must start with "
                                f"`# {COMMAND} --block LABEL`")
                label = f"line{i + 1}"
            else:
                label = header["label"]
                if label in labels:
                    problems.append(f"line {i + 2}: block label {label!r} used twice")
                labels.add(label)
            count = 0
            for offset, raw in enumerate(body[1:], start=i + 3):
                stripped = raw.strip()
                if not stripped or stripped.startswith("#"):
                    continue
                try:
                    examples.append(_parse_line(label, offset, stripped))
                    count += 1
                except SyntaxError as exc:
                    problems.append(f"line {offset}: {exc.msg}: {stripped}")
            if not count:
                problems.append(f"line {i + 1}: block {label!r} has no examples")
        i = end + 1
    return examples, problems


def _load() -> tuple[list[Example], list[str]]:
    if not DOC.is_file():
        return [], [f"{DOC} is missing"]
    return parse(DOC.read_text(encoding="utf-8"))


EXAMPLES, PROBLEMS = _load()


# ----------------------------------------------------------------------------- tests

def test_doc_examples_parse():
    assert not PROBLEMS, "\n".join(PROBLEMS)
    labels = {e.label for e in EXAMPLES}
    assert len(labels) >= 10 and len(EXAMPLES) >= 50


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_doc_example(example):
    ok, actual = example.check()
    claim = (f"{example.expr}  # raises {example.raises}" if example.raises is not None
             else f"{example.expr} == {example.expected}")
    assert ok, (f"docs/arithmetic.md line {example.line} says\n    {claim}\n"
                f"but golden.sparq gives\n    {actual}")


def test_doc_examples_cover_every_public_function():
    used = " ".join(e.expr for e in EXAMPLES)
    missing = [name for name in ("quantize", "encode", "decode", "pair_slots", "bsparq",
                                 "matmul", "compress_2to4", "wrap", "Config")
               if not re.search(rf"\b{name}\b", used)]
    assert not missing


def test_custom_shift_sets_exist_only_for_4_bits():
    # Checked here on its own, not only through the page: for n = 2 and 3 the lone
    # value's split needs every shift, for n = 4 any of 1, 2, 3 may join {0, 4}.
    assert legal_shift_sets(2) == [tuple(range(7))]
    assert legal_shift_sets(3) == [tuple(range(6))]
    four = legal_shift_sets(4)
    subsets = (extra for r in range(4) for extra in itertools.combinations((1, 2, 3), r))
    assert sorted(four) == sorted(tuple(sorted({0, 4, *extra})) for extra in subsets)
    presets = {shifts for bits, shifts in sparq.PRESETS.values() if bits == 4}
    assert presets <= set(four)


def test_parser_rejects_malformed_blocks():
    bad = "\n".join([
        f"```python {TAG}",
        "quantize([1, 2], Config.preset(5)) != [1, 2]",
        "```",
        f"```python {TAG}",
        f"# {COMMAND} --block x",
        "quantize([1, 2], Config.preset(5))",
        "```",
        f"```python {TAG}",
        f"# {COMMAND} --block x",
        "1 == 1",
        "```",
    ])
    _, problems = parse(bad)
    assert any("must start with" in p for p in problems)
    assert any("expected `EXPR == EXPECTED`" in p for p in problems)
    assert any("used twice" in p for p in problems)


def test_a_wrong_example_fails():
    (wrong,), _ = parse(f"```python {TAG}\n# {COMMAND} --block w\n"
                        "quantize([45, 3], Config.preset(5)) == [45, 3]\n```")
    ok, actual = wrong.check()
    assert not ok and actual.endswith("== [44, 3]")
    (no_raise,), _ = parse(f"```python {TAG}\n# {COMMAND} --block w\n"
                           "Config(4, (0, 4))  # raises ValueError\n```")
    assert not no_raise.check()[0]


def test_cli_recomputes_a_block(capsys):
    label = EXAMPLES[0].label if EXAMPLES else "window"
    assert main(["--block", label]) == 0
    out = capsys.readouterr().out
    assert sum(e.label == label for e in EXAMPLES) == len(out.splitlines())


def test_cli_evaluates_an_expression(capsys):
    assert main(["quantize([45, 3], Config.preset(5))"]) == 0
    assert capsys.readouterr().out.strip() == "quantize([45, 3], Config.preset(5)) == [44, 3]"


# ------------------------------------------------------------------------------- CLI

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.golden.test_docs_examples",
        description="Recompute the worked examples of docs/arithmetic.md with golden.sparq.")
    parser.add_argument("exprs", nargs="*", metavar="EXPR",
                        help="expressions to evaluate instead of the page's examples")
    parser.add_argument("--block", action="append", metavar="LABEL",
                        help="only this block (repeatable)")
    parser.add_argument("--doc", type=Path, default=DOC, help="the page (default: %(default)s)")
    args = parser.parse_args(argv)

    if args.exprs:
        for expr in args.exprs:
            print(f"{expr} == {plain(eval(expr, namespace()))!r}")
        return 0

    examples, problems = parse(args.doc.read_text(encoding="utf-8"))
    for problem in problems:
        print(f"{args.doc}: {problem}", file=sys.stderr)
    if args.block:
        unknown = set(args.block) - {e.label for e in examples}
        if unknown:
            print(f"no block labelled {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        examples = [e for e in examples if e.label in args.block]
    failed = 0
    for example in examples:
        ok, actual = example.check()
        print(actual if ok else f"{actual}    <-- line {example.line} differs")
        failed += not ok
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
