"""The port reference, ``docs/ports.md``, generated from the manifests: ``python -m hdl.ports``.

Every arch, unit and variant the generator knows (:data:`hdl.generate.TARGETS`,
and ``--input packed`` where it applies) is emitted with the CLI defaults
into a temporary folder and its ``<top>.json`` read back, so the reference
says what the generator writes and cannot drift from it; the tests compare
the committed file with a fresh generation.  Widths are given for those
defaults (4 x 4, ``acc_width`` 32, 5opt) and as formulas over ``rows``,
``cols`` and ``acc_width``: the same component built at other sizes fixes
which sizes each array length and field width follows.

``python -m hdl.ports`` prints the reference, ``-o docs/ports.md`` writes
it, ``--check docs/ports.md`` exits 1 when that file differs.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from golden.sparq import Config
from hdl.emit.hierarchy import unused
from hdl.emit.manifest import SCHEMA, evaluate, ports_of
from hdl.emit.writer import write
from hdl.generate import TARGETS, parser, request_from_args

__all__ = ["Entry", "entries", "manifests", "width_formulas", "render", "main"]

#: The representative sizes the reference is emitted at (the CLI defaults).
DEFAULTS = {"rows": 4, "cols": 4, "acc_width": 32}
#: Further sizes that fix the formulas (each variable takes distinct values; rows 1 too).
PROBES = ({"rows": 3, "cols": 5, "acc_width": 20}, {"rows": 6, "cols": 2, "acc_width": 40},
          {"rows": 1, "cols": 7, "acc_width": 64})
#: Formulas tried for a width that is not a product of array lengths.
_SCALARS = ("acc_width", "max(1, clog2(rows))", "max(1, clog2(cols))", "rows", "cols")


@dataclass(frozen=True)
class Entry:
    """One emitted design of the reference: its CLI arguments and manifest."""

    argv: tuple[str, ...]
    manifest: dict

    @property
    def command(self) -> str:
        return " ".join(("python -m hdl.generate", *self.argv))


def _argv(arch: str, unit: str, variant: str, packed: bool = False) -> tuple[str, ...]:
    argv = ["--arch", arch, "--unit", unit]
    if variant != "sparq":
        argv += ["--baseline", variant]
    if packed:
        argv += ["--input", "packed"]
    return tuple(argv)


def catalogue() -> list[tuple[str, ...]]:
    """CLI arguments of every target, variant and ``--input packed`` where it applies."""
    out = []
    for (arch, unit), target in TARGETS.items():
        for variant in target.variants:
            out.append(_argv(arch, unit, variant))
            if "input" in target.options and _takes_packed(arch, unit, variant):
                out.append(_argv(arch, unit, variant, packed=True))
    return out


def _takes_packed(arch: str, unit: str, variant: str) -> bool:
    """Whether the design takes ``--input packed`` (the component refuses it if not)."""
    request = request_from_args(parser().parse_args(list(_argv(arch, unit, variant, True))))
    probe = {"arch": arch, "unit": unit, "variant": variant, "parameters": {"input": "packed"},
             "config": None if request.config is None else {
                 "bits": request.config.bits, "shifts": list(request.config.shifts),
                 "rounding": request.config.rounding}}
    try:
        _component(probe, DEFAULTS)
    except ValueError:
        return False
    return True


def emit_manifest(argv) -> dict:
    """The manifest ``python -m hdl.generate *argv`` writes (emitted into a temporary folder)."""
    request = request_from_args(parser().parse_args(list(argv)))
    emission = TARGETS[request.arch, request.unit].build(request)
    with tempfile.TemporaryDirectory(prefix="sparq-ports-") as tmp:
        write(emission, Path(tmp))
        return json.loads((Path(tmp) / f"{emission.top}.json").read_text())


@functools.cache
def entries() -> tuple[Entry, ...]:
    """Every design of :func:`catalogue` with its manifest (emitted once per process)."""
    return tuple(Entry(argv, emit_manifest(argv)) for argv in catalogue())


def manifests() -> list[dict]:
    return [e.manifest for e in entries()]


# ------------------------------------------------------------------------- formulas

def _component(manifest: dict, sizes: dict):
    """The component of ``manifest`` rebuilt at ``sizes`` (ports only, nothing emitted)."""
    return unused(_build(manifest, sizes))


def _build(manifest: dict, sizes: dict):
    from hdl.sa.array import SystolicArray
    from hdl.sa.variants import make_pe
    from hdl.tc.build import array_class
    from hdl.tc.sparse_dp import SparseDotProduct
    from hdl.tc.variants import make_dp
    from hdl.tru import TrimRoundUnit

    arch, unit, variant = manifest["arch"], manifest["unit"], manifest["variant"]
    cfg = manifest["config"]
    config = Config(cfg["bits"], tuple(cfg["shifts"]), cfg["rounding"]) \
        if cfg is not None and variant == "sparq" else None
    acc = sizes["acc_width"]
    if unit == "tru":
        return TrimRoundUnit(config=config)
    if unit == "pe":
        return make_pe(variant, config, acc)
    if unit == "dp":
        return make_dp(variant, config, acc) if arch == "tc" else \
            SparseDotProduct(variant=variant, config=config, acc_width=acc)
    if arch == "sa":
        return SystolicArray(variant=variant, config=config, rows=sizes["rows"],
                             cols=sizes["cols"], acc_width=acc,
                             input=manifest["parameters"]["input"])
    return array_class(arch)(variant=variant, config=config, rows=sizes["rows"],
                             cols=sizes["cols"], acc_width=acc)


def _sizes(manifest: dict) -> dict:
    return {k: v for k, v in manifest["parameters"].items() if k in DEFAULTS}


def _follow(values: list[int], sizes: list[dict]) -> str:
    """The formula (a constant, or one of :data:`_SCALARS`) that gives ``values`` at ``sizes``."""
    if len(set(values)) == 1:
        return str(values[0])
    for expr in _SCALARS:
        try:
            if all(evaluate(expr, **s) == v for s, v in zip(sizes, values, strict=True)):
                return expr
        except ValueError:
            continue
    raise ValueError(f"no formula over {sorted(sizes[0])} gives {values} at {sizes}")


def _product(factors: list[str]) -> str:
    """``factors`` multiplied: constants folded first, a compound factor parenthesised."""
    const, names = 1, []
    flat = [g for f in factors
            for g in (f.split(" * ") if all(x.isidentifier() or x.isdigit()
                                            for x in f.split(" * ")) else [f])]
    for f in flat:
        if f.isdigit():
            const *= int(f)
        else:
            names.append(_factor(f))
    if const == 0:
        return "0"
    if not names:
        return str(const)
    return " * ".join(([str(const)] if const != 1 else []) + names)


def _annotate(layouts: list[dict], sizes: list[dict]) -> dict:
    """The layout at the first size, each array with ``count_formula`` and every node with
    ``width_formula``."""
    head = dict(layouts[0])
    if head["kind"] == "array":
        count = _follow([lay["count"] for lay in layouts], sizes)
        element = _annotate([lay["element"] for lay in layouts], sizes)
        head.update(count_formula=count, element=element,
                    width_formula=_product([count, element["width_formula"]]))
    elif head["kind"] == "struct":
        head["fields"] = [dict(f, **_annotate([lay["fields"][i] for lay in layouts], sizes))
                          for i, f in enumerate(head["fields"])]
        head["width_formula"] = _follow([lay["width"] for lay in layouts], sizes)
    else:
        head["width_formula"] = _follow([lay["width"] for lay in layouts], sizes)
    return head


def width_formulas(manifest: dict) -> dict[str, dict]:
    """Port name -> its layout annotated with formulas over the manifest's size parameters.

    The component is rebuilt at :data:`PROBES` (the size parameters it takes
    vary, the configuration stays), after checking that at the manifest's own
    sizes it has exactly the manifest's ports.
    """
    own = _sizes(manifest)
    strip = [{k: v for k, v in p.items() if k != "description"} for p in manifest["ports"]]
    rebuilt = [{k: v for k, v in p.items() if k != "description"}
               for p in ports_of(_component(manifest, {**DEFAULTS, **own}))]
    if rebuilt != strip:
        raise ValueError(f"hdl.ports rebuilds {manifest['top']} with other ports than its "
                         f"builder: update hdl.ports._component")
    sizes = [own] + [{k: probe[k] for k in own} for probe in PROBES] if own else [own]
    layouts = [manifest["ports"]] + [ports_of(_component(manifest, {**DEFAULTS, **s}))
                                     for s in sizes[1:]]
    out = {}
    for i, port in enumerate(manifest["ports"]):
        node = _annotate([ports[i]["layout"] for ports in layouts], sizes)
        for s, ports in zip(sizes, layouts, strict=True):
            assert evaluate(node["width_formula"], **s) == ports[i]["width"], port["name"]
        out[port["name"]] = node
    return out


# ------------------------------------------------------------------------- rendering

def _type(node: dict) -> str:
    """A layout as text: ``u8``, ``s32``, ``rows x 2 x u8``, ``{a @0: ..., b @8: ...}``."""
    kind = node["kind"]
    if kind == "array":
        return f"{node['count_formula']} × {_type(node['element'])}"
    if kind == "struct":
        return "{" + ", ".join(f"{f['name']} @{f['offset']}: {_type(f)}"
                               for f in node["fields"]) + "}"
    w = node["width_formula"]
    return ("s" if kind == "signed" else "u") + w if w.isdigit() else f"{kind}({w})"


_INDEX = "ijk"


def _element_bits(node: dict) -> str | None:
    """Where element ``[i][j]...`` of an array port sits, e.g. ``(i * cols + j) * acc_width``."""
    counts, leaf = [], node
    while leaf["kind"] == "array":
        counts.append(leaf["count_formula"])
        leaf = leaf["element"]
    if not counts:
        return None
    index = _INDEX[0]
    for d in range(1, len(counts)):
        index = f"{_factor(index)} * {_factor(counts[d])} + {_INDEX[d]}"
    w = leaf["width_formula"]
    at = index if w == "1" else f"{_factor(index)} * {_factor(w)}"
    subscript = "".join(f"[{_INDEX[d]}]" for d in range(len(counts)))
    return f"element {subscript} at bits [{at} +: {w}]"


def _factor(expr: str) -> str:
    """``expr`` as a factor of a product: parenthesised unless a name, a number or a call."""
    return expr if expr.isidentifier() or expr.isdigit() or " + " not in expr else f"({expr})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _anchor(title: str) -> str:
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def _title(entry: Entry) -> str:
    m = entry.manifest
    unit = {"tru": "TRU", "pe": "PE", "dp": "DP unit", "array": "array"}[m["unit"]]
    arch = {"sa": "SA", "tc": "TC", "stc": "STC"}[m["arch"]]
    variant = {"sparq": "SPARQ", "8b8b": "8b-8b", "2x4b8b": "2x4b-8b", "sysmt": "SySMT"}[
        m["variant"]]
    extra = ", packed input" if m["parameters"].get("input") == "packed" else ""
    return f"{arch} {unit}, {variant}{extra}" if m["unit"] != "tru" else "TRU"


def _section(entry: Entry, archs: list[str]) -> list[str]:
    m = entry.manifest
    t = m["timing"]
    order = ("rows", "cols", "acc_width", "input", "tile")
    params = ", ".join(f"{k} {m['parameters'][k]}" for k in order if k in m["parameters"])
    cfg = m["config"]
    lines = [f"## {_title(entry)}", ""]
    command = entry.command if len(archs) == 1 else \
        entry.command.replace(f"--arch {m['arch']}", f"--arch {'|'.join(archs)}")
    lines += [f"`{command}` → top `{m['top']}`"
              + (f" ({params})" if params else "")
              + (f"; configuration `{cfg['name']}` (word_width {cfg['word_width']})"
                 if cfg else "; no SPARQ configuration") + ".", ""]
    cycles = "; ".join(f"{name} = `{expr}`" for name, expr in t["cycles"].items())
    variables = "; ".join(f"`{k}`: {v}" for k, v in t["variables"].items())
    lines += [f"- timing: latency {t['latency']}, k_step {t['k_step']}, acts_per_beat "
              f"{t['acts_per_beat']}, macs_per_cycle {t['macs_per_cycle']}"
              + (f"; cycles: {cycles} ({variables})" if cycles else ""),
              f"- {t['notes']}" if t["notes"] else None,
              "- reset: `rst`, synchronous, active high, required before the first beat "
              "(what it clears: see `rst`)" if m["reset"]["required"] else
              "- reset: `rst`, synchronous, active high (see `rst`)", ""]
    lines = [x for x in lines if x is not None]
    formulas = width_formulas(m)
    lines += ["| port | dir | width | width formula | layout | description |",
              "|---|---|---|---|---|---|"]
    for p in m["ports"]:
        node = formulas[p["name"]]
        layout = _type(node)
        bits = _element_bits(node)
        layout += f"; {bits}" if bits else ""
        lines.append(f"| `{p['name']}` | {p['dir']} | {p['width']} | `{node['width_formula']}` "
                     f"| {_cell(layout)} | {_cell(p['description'])} |")
    return lines + [""]


def render() -> str:
    """The whole reference (Markdown)."""
    groups: dict[str, tuple[Entry, list[str]]] = {}
    for e in entries():
        key = _title(e)
        if key in groups:
            groups[key][1].append(e.manifest["arch"])
        else:
            groups[key] = (e, [e.manifest["arch"]])
    head = [
        "# Port reference",
        "",
        "<!-- Generated by `python -m hdl.ports -o docs/ports.md` from the manifests the "
        "generator writes; do not edit (tests/hdl/test_ports.py checks it is current). -->",
        "",
        f"Every design `python -m hdl.generate` emits, with its ports, timing and reset, as its "
        f"manifest `<top>.json` (schema `{SCHEMA}`, JSON Schema `hdl/emit/manifest.schema.json`) "
        "records them. Each design is shown at the CLI defaults: arrays 4 x 4, `acc_width` 32, "
        "SPARQ configuration 5opt. The width formulas hold for any `rows`, `cols` and "
        "`acc_width`; widths of packed pair words are those of 5opt (16 bits; in general "
        "`word_width = 2 * (bits + idx_bits + 1)`, see docs/arithmetic.md section 5).",
        "",
        "Conventions, for every port:",
        "",
        "- A port is a flat bit vector `[width-1:0]`. An array's element 0 is in the least "
        "significant bits; in a 2-D port such as `in_a[r][k]` the outer index (`r`) is in the "
        "more significant bits, so element `[i][j]` of an `n`-column port of `w`-bit elements "
        "sits at bits `[(i * n + j) * w +: w]`. Struct fields are listed LSB first with their "
        "offsets (`name @offset: type`). `u8` is unsigned 8-bit, `s8` two's complement.",
        "- `clk`: every register samples on its rising edge. `rst`: synchronous, active high; "
        "hold it high for at least one rising edge before the first beat (each design says what "
        "it clears).",
        "- A beat (a step, for the tensor cores) is one cycle with `in_valid` high (the PE's "
        "`in_ctl.valid`); while it is low, data and `in_first`/`in_last` are ignored. `k_step` "
        "is the reduction-axis elements one beat covers per row, `acts_per_beat` the activation "
        "codes one beat carries in all, `macs_per_cycle` the dense-equivalent multiply-"
        "accumulates a cycle.",
        "- Cycle counts and width formulas are expressions for `hdl.emit.manifest.evaluate`: "
        "integers, variables, `+ - * //`, parentheses, `max`, `min`, `ceil_div(a, b)` and "
        "`clog2(a)` (ceil(log2 a), 0 for a <= 1).",
        "",
        "Contents: " + " · ".join(f"[{k}](#{_anchor(k)})" for k in groups),
        "",
    ]
    body = []
    for entry, archs in groups.values():
        body += _section(entry, archs)
    return "\n".join(head + body).rstrip() + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m hdl.ports",
                                description="Generate the port reference (docs/ports.md) from "
                                            "the manifests of every design.")
    p.add_argument("-o", "--output", help="write it here (default: print it)")
    p.add_argument("--check", metavar="FILE",
                   help="exit 1 (naming the first differing line) if FILE is not current")
    args = p.parse_args(argv)
    text = render()
    if args.check:
        current = Path(args.check).read_text() if Path(args.check).exists() else ""
        if current != text:
            diff = next((i for i, (a, b) in enumerate(zip(current.splitlines(),
                                                          text.splitlines(), strict=False))
                         if a != b), min(len(current.splitlines()), len(text.splitlines())))
            print(f"{args.check} is not current (line {diff + 1}); run python -m hdl.ports "
                  f"-o {args.check}", file=sys.stderr)
            return 1
        return 0
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
