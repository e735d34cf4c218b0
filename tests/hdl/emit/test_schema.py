"""Every manifest the generator writes validates against hdl/emit/manifest.schema.json.

Every target is emitted (the TRU under each arch, every SA PE and array variant with
``--input packed``, every TC/STC DP unit and array variant), each manifest read back from
its folder (:func:`hdl.ports.entries`, shared with the port reference tests in one xdist
group), validated against the JSON Schema (draft 2020-12), and checked for what a schema
cannot say: layouts whose widths add up, pair words at the offsets of
:func:`golden.sparq.encode`, cycle expressions over declared variables, rates, and a
description for every port taken from the components' docstrings.
"""

from __future__ import annotations

import ast
import json

import jsonschema
import pytest

from hdl import ports
from hdl.emit.manifest import SCHEMA, SCHEMA_FILE, evaluate, member_docs

pytestmark = pytest.mark.xdist_group("manifests")

ARGVS = ports.catalogue()


def _id(argv) -> str:
    return "-".join(a.lstrip("-") for a in argv if a not in ("--arch", "--unit"))


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_FILE.read_text())


def manifest_of(argv) -> dict:
    return next(e.manifest for e in ports.entries() if e.argv == tuple(argv))


def test_the_schema_is_a_valid_draft_2020_12_schema(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"]["const"] == SCHEMA


def test_the_catalogue_covers_every_target_and_variant():
    from hdl.generate import TARGETS
    seen = {(a[1], a[3], a[a.index("--baseline") + 1] if "--baseline" in a else "sparq")
            for a in ARGVS}
    assert seen == {(arch, unit, v) for (arch, unit), t in TARGETS.items() for v in t.variants}
    assert ("--arch", "sa", "--unit", "array", "--input", "packed") in ARGVS


@pytest.mark.parametrize("argv", ARGVS, ids=_id)
def test_the_manifest_validates(argv, schema):
    manifest = manifest_of(argv)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(manifest),
                    key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_the_schema_refuses_what_it_should(schema):
    good = manifest_of(("--arch", "sa", "--unit", "pe"))
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(good)
    port = good["ports"][2]
    bad = [
        {**good, "schema": "sparq-manifest/0"},
        {**good, "extra": 1},
        {**good, "ports": [{**port, "description": ""}]},
        {**good, "ports": [{**port, "layout": {**port["layout"], "count": 2}}]},
        {**good, "ports": [{**port, "layout": {"kind": "struct", "width": 3,
                                                "fields": [{"name": "x", "kind": "unsigned",
                                                            "width": 3}]}}]},
        {**good, "timing": {**good["timing"], "cycles": {"beats": "__import__('os')"}}},
        {**good, "variant": "8b8b"},                       # a baseline has no configuration
        {**good, "reset": {**good["reset"], "active": "low"}},
    ]
    for record in bad:
        assert not validator.is_valid(record), record


# --------------------------------------------------------------- what a schema cannot say

def _check_layout(layout, where):
    kind, width = layout["kind"], layout["width"]
    if kind == "array":
        assert width == layout["count"] * layout["element"]["width"], where
        _check_layout(layout["element"], where + "[]")
    elif kind == "struct":
        end = 0
        for f in layout["fields"]:
            assert f["offset"] == end, f"{where}.{f['name']}: fields are packed LSB first"
            end += f["width"]
            _check_layout(f, f"{where}.{f['name']}")
        assert end == width, where
    else:
        assert width >= 1, where


@pytest.mark.parametrize("argv", ARGVS, ids=_id)
def test_layouts_add_up_and_ports_are_unique(argv):
    manifest = manifest_of(argv)
    names = [p["name"] for p in manifest["ports"]]
    assert len(set(names)) == len(names) and names[:2] == ["clk", "rst"]
    for p in manifest["ports"]:
        assert p["width"] == p["layout"]["width"], p["name"]
        _check_layout(p["layout"], p["name"])
    assert f"{manifest['top']}.v" in manifest["files"]


def _pair_words(layout):
    if layout["kind"] == "struct" and [f["name"] for f in layout["fields"]] == ["a", "b"]:
        yield layout
    for child in layout.get("fields", []) + ([layout["element"]] if "element" in layout else []):
        yield from _pair_words(child)


@pytest.mark.parametrize("argv", [a for a in ARGVS if "--baseline" not in a], ids=_id)
def test_pair_words_sit_where_golden_encode_puts_their_fields(argv):
    """``word = A | B << slot_width``, ``slot = data | idx << n | mux << (n + idx_bits)``."""
    manifest = manifest_of(argv)
    cfg = manifest["config"]
    words = [w for p in manifest["ports"] for w in _pair_words(p["layout"])]
    takes_words = manifest["unit"] in ("tru", "pe") or (manifest["arch"], manifest["unit"]) == (
        "tc", "dp") or manifest["parameters"].get("input") == "packed"
    assert bool(words) == takes_words, "SPARQ units without TRUs in front take pair words"
    for word in words:
        assert word["width"] == cfg["word_width"]
        a, b = word["fields"]
        assert (a["offset"], b["offset"]) == (0, cfg["slot_width"])
        for slot in (a, b):
            assert [(f["name"], f["offset"], f["width"]) for f in slot["fields"]] == [
                ("data", 0, cfg["bits"]), ("idx", cfg["bits"], cfg["idx_bits"]),
                ("mux", cfg["bits"] + cfg["idx_bits"], 1)]


def _names(expr: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)
            and n.id not in ("max", "min", "ceil_div", "clog2")}


@pytest.mark.parametrize("argv", ARGVS, ids=_id)
def test_timing_expressions_use_declared_variables_and_rates_add_up(argv):
    manifest = manifest_of(argv)
    t, params = manifest["timing"], manifest["parameters"]
    for name, expr in t["cycles"].items():
        assert _names(expr) <= set(t["variables"]), name
        for k in (1, 7, 64):
            value = evaluate(expr, **{v: k if v == "K" else 3 for v in t["variables"]})
            assert value >= 1, (name, k)
    rows = params["rows"] if manifest["unit"] == "array" else 1
    assert t["acts_per_beat"] == t["k_step"] * rows
    if manifest["unit"] == "array":
        assert t["macs_per_cycle"] == params["rows"] * params["cols"] * t["k_step"]
    # Where activations enter as codes, the port holds acts_per_beat of them.
    act = next(p for p in manifest["ports"]
               if p["name"] in ("in_pair", "in_act", "in_a", "in_words"))
    leaves, layout = 1, act["layout"]
    while layout["kind"] == "array":
        leaves, layout = leaves * layout["count"], layout["element"]
    if layout["kind"] == "unsigned":
        assert leaves == t["acts_per_beat"], act["name"]


@pytest.mark.parametrize("argv", ARGVS, ids=_id)
def test_every_port_is_described_by_its_component(argv):
    """Descriptions come from the docstrings, and no docstring names a port that is gone."""
    manifest = manifest_of(argv)
    component = ports._component(manifest, ports._sizes(manifest) or ports.DEFAULTS)
    documented = set(member_docs(type(component)))
    names = {p["name"] for p in manifest["ports"]}
    assert not documented - names, f"{type(component).__name__} documents missing ports"
    for p in manifest["ports"]:
        assert p["description"] == member_docs(type(component))[p["name"]]
        assert len(p["description"]) > 20, p["name"]
    assert manifest["reset"]["description"] == member_docs(type(component))["rst"]


def test_member_docs_follow_references_and_bases():
    from hdl.sa.pe_2x4b8b import PE2x4b8b
    from hdl.tc.dp_sparq import SparqDotProduct
    pe = member_docs(PE2x4b8b)
    assert "bits 3:0" in pe["in_act"]                     # its own entry
    assert "bit 0" in pe["in_ctl"] and "`valid`" in pe["in_ctl"]   # from SystolicPE
    dp = member_docs(SparqDotProduct)
    assert "in_words" in dp and "two's complement" in dp["in_b"]
    assert ":class:" not in "".join(dp.values()) and "``" not in "".join(dp.values())


@pytest.mark.parametrize("expr, value", [("clog2(1)", 0), ("clog2(2)", 1), ("clog2(5)", 3),
                                         ("max(1, clog2(rows))", 1)])
def test_evaluate_clog2(expr, value):
    assert evaluate(expr, rows=1) == value
