"""SySMT step 2: the arithmetic lemmas that connect the pair word to quantize-then-multiply.

Step 1 (``sa-pe-sysmt``) proves the SySMT PE equal to a reference that forms
the 2opt-trim pair word (SPARQ.md section 6) and multiplies its two slots.  A
direct proof against ``approx(x0) * w0 + approx(x1) * w1`` times out (two
different multiplier structures), so step 2 proves, for every 8-bit ``x``,
4-bit ``q`` and signed 8-bit ``w``:

- ``eq4``: ``x * w == ((x[7:4] * w) << 4) + x[3:0] * w`` (the paper's equation 4);
- ``shift``: ``(q << s) * w == (q * w) << s`` for ``s`` in ``{0, 4}``.

With them the pair word's value is the quantized product in every case of
section 6: both non-zero, each slot is ``(q * w) << s = (q << s) * w =
approx(x) * w`` (``shift``); one non-zero, the lone value keeps all 8 bits
(``approx(x) = x`` for n = 4) and its two nibbles, both multiplied by its own
weight, add up to ``x * w`` (``eq4``); both zero, 0.
"""

from __future__ import annotations

from formal.miter import Side

__all__ = ["LEMMAS", "lemma_sides"]

_HEAD = "(x, w, y);\n  input [7:0] x;\n  input [7:0] w;\n  output signed [16:0] y;\n"


def _eq4() -> tuple[Side, Side]:
    lhs = ("module lhs" + _HEAD +
           "  assign y = $signed({1'b0, x}) * $signed(w);\nendmodule\n")
    rhs = ("module rhs" + _HEAD +
           "  wire signed [11:0] hi = $signed({1'b0, x[7:4]}) * $signed(w);\n"
           "  wire signed [11:0] lo = $signed({1'b0, x[3:0]}) * $signed(w);\n"
           "  wire signed [16:0] hi_ext = hi;\n"
           "  wire signed [16:0] lo_ext = lo;\n"
           "  assign y = (hi_ext <<< 4) + lo_ext;\nendmodule\n")
    return Side("rhs", {"rhs.v": rhs}), Side("lhs", {"lhs.v": lhs})


def _shift() -> tuple[Side, Side]:
    head = "(q, s, w, y);\n  input [3:0] q;\n  input s;\n  input [7:0] w;\n" \
           "  output signed [16:0] y;\n"
    lhs = ("module lhs" + head +
           "  wire [7:0] a = s ? {q, 4'b0} : {4'b0, q};   // q << S[s], S = {0, 4}\n"
           "  assign y = $signed({1'b0, a}) * $signed(w);\nendmodule\n")
    rhs = ("module rhs" + head +
           "  wire signed [11:0] p = $signed({1'b0, q}) * $signed(w);\n"
           "  wire signed [16:0] e = p;\n"
           "  assign y = s ? (e <<< 4) : e;\nendmodule\n")
    return Side("rhs", {"rhs.v": rhs}), Side("lhs", {"lhs.v": lhs})


#: name -> (what it states, builder of (gate, gold)).
LEMMAS = {
    "sysmt-eq4": ("SySMT step 2: x*w == (x[7:4]*w << 4) + x[3:0]*w (equation 4)", _eq4),
    "sysmt-shift": ("SySMT step 2: (q << s)*w == (q*w) << s, s in {0, 4}", _shift),
}


def lemma_sides(name: str) -> tuple[Side, Side]:
    return LEMMAS[name][1]()
