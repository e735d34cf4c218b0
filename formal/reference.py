"""Reference Verilog of every provable unit, generated from its configuration.

The references are written from the definition of the arithmetic in SPARQ.md
(section 3: bSPARQ windows, 4: vSPARQ pairs, 5: 2:4 selection, 6: the packed
pair word and the two-slot multiplier) and from the documented behaviour of
each unit's registers (its docstring: partial sum, double-buffered result,
drain chain, forwarding, ``done``; ``out_d``/``out_valid``).  Nothing here
imports or calls the Amaranth code under test: the generator only takes the
configuration ``(n, S, rounding)``, the accumulator width and the port list of
the emitted module's manifest (which it checks against what the unit's
interface must be).

Two choices follow the structure of the hardware so that the prover can match
the two sides quickly; neither changes a value:

- every product is one Verilog ``*`` of an unsigned activation (zero-extended
  by one bit) and a signed 8-bit weight, at the exact width ``a_bits + 8``
  (Yosys's ``$mul`` is taken to be the same multiplier on both sides);
- the multi-operand sum adds its operands in the order of
  :func:`adder_order` (ascending significant width, stable), each addition one
  bit wider than its wider operand, like ``hdl.adder.AdderTree``.  Any order
  gives the same wrapped sum; another order only makes the proof time out.

Behaviour SPARQ.md leaves open is specified here and proved: a slot whose shift
index is not an index of ``S`` (``idx >= |S|``) contributes 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from golden.sparq import Config
from hdl.adder import AdderTree
from hdl.emit.hierarchy import unused

__all__ = ["ACT_BITS", "SLOT_PRODUCT_BITS", "adder_order", "RefModule", "reference",
           "InterfaceError", "Unit", "pair_word_expr"]

#: Width of an activation code and of a weight (SPARQ.md section 1).
ACT_BITS = 8

#: Width of one shifted slot product ``(data * w) << s``.  16 bits hold every value
#: (``|q << s| <= 255``, ``|w| <= 128``); the hardware carries 17 (one guard bit), and the
#: reference uses the same width so that the two adders have the same shape.
SLOT_PRODUCT_BITS = 2 * ACT_BITS + 1

#: The SySMT configuration: 2opt without rounding (the upper or the lower nibble).
SYSMT_CONFIG = Config(4, (0, 4), rounding=False)


class InterfaceError(ValueError):
    """The emitted module's ports are not the ones the reference was written for."""


def adder_order(widths) -> list[int]:
    """Operand indices in the order the adder tree sums them: by width, stable.

    Read from the component (``hdl.adder.AdderTree.order``) so the reference
    follows the hardware; only the proof's speed depends on it, never its verdict.
    """
    return list(unused(AdderTree(count=len(widths), in_bits=list(widths), out_bits=64)).order)


def idx_bits(shifts) -> int:
    """``ceil(log2 |S|)`` bits of a slot's shift index (at least one)."""
    return max(1, (len(shifts) - 1).bit_length())


@dataclass(frozen=True)
class Unit:
    """What the reference is generated for: one emitted unit.

    ``kind`` is ``"sa_pe"``, ``"tc_dp"``, ``"stc_dp"`` or ``"tru"``; ``variant`` is
    ``"8b8b"``, ``"2x4b8b"``, ``"sparq"`` or ``"sysmt"``.
    """

    kind: str
    variant: str
    config: Config | None = None
    acc_width: int = 32

    @property
    def arith_config(self) -> Config | None:
        return SYSMT_CONFIG if self.variant == "sysmt" else self.config


# ---------------------------------------------------------------------------- builder

class _V:
    """Collects Verilog declarations and statements; hands out fresh names."""

    def __init__(self):
        self.body: list[str] = []
        self._n = 0

    def fresh(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def wire(self, stem: str, width: int, expr: str, signed: bool = False) -> str:
        name = self.fresh(stem)
        s = "signed " if signed else ""
        self.body.append(f"  wire {s}[{width - 1}:0] {name} = {expr};")
        return name

    def case(self, stem: str, width: int, sel: str, cases: dict[int, str], default: str,
             signed: bool = False) -> str:
        """A combinational ``case`` with an explicit default."""
        name = self.fresh(stem)
        s = "signed " if signed else ""
        self.body.append(f"  reg {s}[{width - 1}:0] {name};")
        self.body.append("  always @* begin")
        self.body.append(f"    case ({sel})")
        for k, expr in cases.items():
            self.body.append(f"      {k}: {name} = {expr};")
        self.body.append(f"      default: {name} = {default};")
        self.body.append("    endcase")
        self.body.append("  end")
        return name

    def line(self, text: str) -> None:
        self.body.append(text)


def _named(v: _V, expr: str, width: int, stem: str = "x") -> str:
    """``expr`` as a plain name (Verilog cannot part-select a part-select)."""
    return expr if re.fullmatch(r"\w+", expr) else v.wire(stem, width, expr)


def _product(v: _V, a: str, a_bits: int, w: str) -> tuple[str, int]:
    """``a * w``: unsigned ``a_bits``-bit activation, signed 8-bit weight, exact width."""
    width = a_bits + ACT_BITS
    return v.wire("prod", width, f"$signed({{1'b0, {a}}}) * $signed({w})", signed=True), width


def _slot_product(v: _V, cfg: Config, data: str, idx: str, mux: str, own: str,
                  partner: str) -> tuple[str, int]:
    """SPARQ.md section 6: ``(data * (mux ? partner : own)) << S[idx]``; 0 if idx >= |S|."""
    w = v.wire("wsel", ACT_BITS, f"{mux} ? {partner} : {own}", signed=True)
    p, _ = _product(v, data, cfg.bits, w)
    ext = v.wire("pext", SLOT_PRODUCT_BITS, p, signed=True)       # sign-extends
    shifted = {i: f"{ext} << {s}" for i, s in enumerate(cfg.shifts)}
    out = v.case("slot", SLOT_PRODUCT_BITS, idx, shifted, f"{SLOT_PRODUCT_BITS}'sd0",
                 signed=True)
    return out, SLOT_PRODUCT_BITS


def _sum(v: _V, operands: list[tuple[str, int]], out_bits: int) -> str:
    """The exact sum of signed operands (in :func:`adder_order`), wrapped to ``out_bits``."""
    order = adder_order([w for _, w in operands])
    acc, acc_w = operands[order[0]]
    for i in order[1:]:
        name, w = operands[i]
        acc_w = max(acc_w, w) + 1
        acc = v.wire("sum", acc_w, f"$signed({acc}) + $signed({name})", signed=True)
    return v.wire("total", out_bits, f"$signed({acc})", signed=True)  # truncates (wraps)


# --------------------------------------------------------------- SPARQ.md sections 3, 4, 6

def _bsparq(v: _V, x: str, bits: int, shifts, rounding: bool) -> tuple[str, str]:
    """Section 3 on the 8-bit value ``x``: ``(q, k)`` with ``S[k]`` the chosen shift.

    Window ``s = min{s in S : x < 2**(s+n)}``; ``q = x >> s``; with rounding and
    ``s > 0``, round half to even on the ``s`` dropped bits, saturating at
    ``2**n - 1``.
    """
    x = _named(v, x, ACT_BITS)
    kb = idx_bits(shifts)
    chain = f"{kb}'d{len(shifts) - 1}"                 # the last window holds every value
    for k in reversed(range(len(shifts) - 1)):
        chain = f"({x} < 9'd{1 << (shifts[k] + bits)}) ? {kb}'d{k} : ({chain})"
    k = v.wire("win", kb, chain)
    candidates = {}
    for i, s in enumerate(shifts):
        trim = v.wire("trim", bits, f"{x} >> {s}")
        if rounding and s > 0:
            dropped = v.wire("dropped", s, f"{x}[{s - 1}:0]")
            half = f"{s}'d{1 << (s - 1)}"
            up = v.wire("up", 1, f"({dropped} > {half}) | (({dropped} == {half}) & {trim}[0])")
            inc = v.wire("inc", bits + 1, f"{{1'b0, {trim}}} + {up}")
            top = (1 << bits) - 1
            candidates[i] = v.wire("rnd", bits, f"({inc} > {bits + 1}'d{top}) ? "
                                                 f"{bits}'d{top} : {inc}[{bits - 1}:0]")
        else:
            candidates[i] = trim
    q = v.case("q", bits, k, candidates, f"{bits}'d0")
    return q, k


def pair_word_expr(v: _V, x0: str, x1: str, cfg: Config) -> str:
    """Sections 4 and 6: the packed pair word of ``(x0, x1)``, slot A in the LSBs.

    A slot is ``{mux, idx, data}``; the word is ``{B, A}``.
    """
    n, S = cfg.bits, tuple(cfg.shifts)
    kb = idx_bits(S)
    x0, x1 = _named(v, x0, ACT_BITS), _named(v, x1, ACT_BITS)
    q0, k0 = _bsparq(v, x0, n, S, cfg.rounding)
    q1, k1 = _bsparq(v, x1, n, S, cfg.rounding)
    lone_shifts = tuple(range(ACT_BITS - 2 * n + 1))       # every placement 0..8-2n
    nz0 = v.wire("nz", 1, f"{x0} != 8'd0")
    nz1 = v.wire("nz", 1, f"{x1} != 8'd0")
    lone = v.wire("lone", ACT_BITS, f"{nz0} ? {x0} : {x1}")  # the non-zero one (if any)
    ql, kl = _bsparq(v, lone, 2 * n, lone_shifts, cfg.rounding)
    upper = v.wire("upper", n, f"{ql}[{2 * n - 1}:{n}]")
    lower = v.wire("lower", n, f"{ql}[{n - 1}:0]")
    up_idx = v.case("upidx", kb, kl, {j: f"{kb}'d{S.index(t + n)}"
                                      for j, t in enumerate(lone_shifts)}, f"{kb}'d0")
    low_idx = v.case("lowidx", kb, kl, {j: f"{kb}'d{S.index(t)}"
                                        for j, t in enumerate(lone_shifts)}, f"{kb}'d0")
    sw = n + kb + 1
    both = f"{nz0} & {nz1}"
    only0 = f"{nz0} & ~{nz1}"
    only1 = f"~{nz0} & {nz1}"

    def slot(own_q, own_k, lone_first):
        # lone_first: this slot takes the upper half when its own value is the lone one.
        up = f"{{1'b0, {up_idx}, {upper}}}"
        low = f"{{1'b1, {low_idx}, {lower}}}"
        mine, other = (only0, only1) if lone_first == "a" else (only1, only0)
        return (f"({both}) ? {{1'b0, {own_k}, {own_q}}} : ({mine}) ? {up} : "
                f"({other}) ? {low} : {sw}'d0")

    a = v.wire("slot_a", sw, slot(q0, k0, "a"))
    b = v.wire("slot_b", sw, slot(q1, k1, "b"))
    return v.wire("word", 2 * sw, f"{{{b}, {a}}}")


def _word_products(v: _V, cfg: Config, word: str, w0: str, w1: str) -> list[tuple[str, int]]:
    """Both slot products of one pair word with its weights ``w[2j]``, ``w[2j+1]``."""
    n, kb = cfg.bits, idx_bits(cfg.shifts)
    sw = n + kb + 1
    word = _named(v, word, 2 * sw, "pair")
    out = []
    for s, own, partner in ((0, w0, w1), (1, w1, w0)):
        lo = s * sw
        data = f"{word}[{lo + n - 1}:{lo}]"
        idx = f"{word}[{lo + n + kb - 1}:{lo + n}]"
        mux = f"{word}[{lo + sw - 1}]"
        out.append(_slot_product(v, cfg, data, idx, mux, own, partner))
    return out


def _field(vec: str, i: int, width: int) -> str:
    return f"{vec}[{(i + 1) * width - 1}:{i * width}]"


# ---------------------------------------------------------------------------- modules

@dataclass
class RefModule:
    """A generated reference: Verilog text, its top, and the state it keeps.

    ``state`` maps each register of the reference to its width; registers that are
    output ports have the port's name.
    """

    top: str
    text: str
    state: dict[str, int] = field(default_factory=dict)


def _check_ports(unit: Unit, ports: list[dict], expected: dict[str, tuple[str, int]]) -> None:
    got = {p["name"]: (p["dir"], int(p["width"])) for p in ports}
    if got != expected:
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        differ = sorted(k for k in set(got) & set(expected) if got[k] != expected[k])
        raise InterfaceError(
            f"{unit.kind} {unit.variant}: the emitted ports are not the interface the "
            f"reference is written for (missing {missing}, unexpected {extra}, "
            f"different {[(k, got[k], expected[k]) for k in differ]}); update formal/reference.py")


def _header(top: str, ports: list[dict], regs: set[str]) -> list[str]:
    names = ", ".join(p["name"] for p in ports)
    out = [f"module {top}({names});"]
    for p in ports:
        kind = "input" if p["dir"] == "in" else ("output reg" if p["name"] in regs else "output")
        w = int(p["width"])
        out.append(f"  {kind} {'' if w == 1 else f'[{w - 1}:0] '}{p['name']};")
    return out


def _sa_pe(unit: Unit, ports: list[dict], top: str) -> RefModule:
    """The systolic-array PE (hdl/sa docstrings; products from SPARQ.md section 6).

    Per cycle, with ``valid``: ``psum <= products + (first ? 0 : psum)``; with
    ``valid & last`` also ``result <=`` the same sum.  ``drain_out <= drain_load ?
    result : drain_in``; ``done <= valid & last``; activations, control and
    weights forwarded through one register each.  ``rst`` clears every register.
    """
    acc, var = unit.acc_width, unit.variant
    cfg = unit.arith_config
    act_w = {"8b8b": ACT_BITS, "2x4b8b": ACT_BITS, "sysmt": 2 * ACT_BITS,
             "sparq": None if cfg is None else 2 * (cfg.bits + idx_bits(cfg.shifts) + 1)}[var]
    wt_w = ACT_BITS if var == "8b8b" else 2 * ACT_BITS
    _check_ports(unit, ports, {
        "clk": ("in", 1), "rst": ("in", 1), "in_act": ("in", act_w), "in_ctl": ("in", 3),
        "in_weight": ("in", wt_w), "out_act": ("out", act_w), "out_ctl": ("out", 3),
        "out_weight": ("out", wt_w), "drain_in": ("in", acc), "drain_load": ("in", 1),
        "drain_out": ("out", acc), "done": ("out", 1)})
    v = _V()
    v.line("  wire valid = in_ctl[0];   // Ctl: valid, first, last from the LSB")
    v.line("  wire first = in_ctl[1];")
    v.line("  wire last = in_ctl[2];")
    w0, w1 = _field("in_weight", 0, ACT_BITS), _field("in_weight", 1, ACT_BITS)
    if var == "8b8b":
        products = [_product(v, "in_act", ACT_BITS, "in_weight")]
    elif var == "2x4b8b":
        products = [_product(v, _field("in_act", i, 4), 4, _field("in_weight", i, ACT_BITS))
                    for i in range(2)]
    elif var == "sparq":
        products = _word_products(v, cfg, "in_act", w0, w1)
    else:                                     # sysmt: the pair word made inside the PE
        word = pair_word_expr(v, _field("in_act", 0, ACT_BITS), _field("in_act", 1, ACT_BITS),
                              cfg)
        products = _word_products(v, cfg, word, w0, w1)
    v.line(f"  reg signed [{acc - 1}:0] psum;")
    v.line(f"  reg signed [{acc - 1}:0] result;")
    base = v.wire("base", acc, f"first ? {acc}'sd0 : psum", signed=True)
    total = _sum(v, products + [(base, acc)], acc)
    regs = {"out_act", "out_ctl", "out_weight", "drain_out", "done"}
    v.line("  always @(posedge clk) begin")
    v.line("    if (rst) begin")
    for r in ["psum", "result", *sorted(regs)]:
        v.line(f"      {r} <= 0;")
    v.line("    end else begin")
    v.line(f"      if (valid) psum <= {total};")
    v.line(f"      if (valid & last) result <= {total};")
    v.line("      drain_out <= drain_load ? result : drain_in;")
    v.line("      done <= valid & last;")
    v.line("      out_act <= in_act;")
    v.line("      out_ctl <= in_ctl;")
    v.line("      out_weight <= in_weight;")
    v.line("    end")
    v.line("  end")
    text = "\n".join(_header(top, ports, regs) + v.body + ["endmodule", ""])
    state = {"psum": acc, "result": acc, "out_act": act_w, "out_ctl": 3, "out_weight": wt_w,
             "drain_out": acc, "done": 1}
    return RefModule(top, text, state)


def _dp_registers(v: _V, total: str, valid: str) -> None:
    v.line("  always @(posedge clk) begin")
    v.line("    if (rst) begin")
    v.line("      out_d <= 0;")
    v.line("      out_valid <= 0;")
    v.line("    end else begin")
    v.line(f"      if ({valid}) out_d <= {total};")
    v.line(f"      out_valid <= {valid};")
    v.line("    end")
    v.line("  end")


def _tc_dp(unit: Unit, ports: list[dict], top: str) -> RefModule:
    """The tensor-core dot-product unit: ``out_d <= in_valid ? a . b + c : out_d``."""
    acc, var, cfg = unit.acc_width, unit.variant, unit.config
    k = {"8b8b": 4, "2x4b8b": 8, "sparq": 8}[var]
    act = ({"in_a": ("in", ACT_BITS * 4)} if var == "8b8b" else
           {"in_a": ("in", 4 * 8)} if var == "2x4b8b" else
           {"in_words": ("in", 4 * 2 * (cfg.bits + idx_bits(cfg.shifts) + 1))})
    _check_ports(unit, ports, {
        "clk": ("in", 1), "rst": ("in", 1), "in_valid": ("in", 1), **act,
        "in_b": ("in", ACT_BITS * k), "in_c": ("in", acc), "out_valid": ("out", 1),
        "out_d": ("out", acc)})
    v = _V()
    b = [_field("in_b", i, ACT_BITS) for i in range(k)]
    if var == "8b8b":
        products = [_product(v, _field("in_a", i, ACT_BITS), ACT_BITS, b[i]) for i in range(4)]
    elif var == "2x4b8b":
        products = [_product(v, _field("in_a", i, 4), 4, b[i]) for i in range(8)]
    else:
        ww = 2 * (cfg.bits + idx_bits(cfg.shifts) + 1)
        products = []
        for j in range(4):
            products += _word_products(v, cfg, _field("in_words", j, ww), b[2 * j], b[2 * j + 1])
    total = _sum(v, products + [("in_c", acc)], acc)
    _dp_registers(v, total, "in_valid")
    text = "\n".join(_header(top, ports, {"out_d", "out_valid"}) + v.body + ["endmodule", ""])
    return RefModule(top, text, {"out_d": acc, "out_valid": 1})


def _select(v: _V, g: int, i: int) -> str:
    """Section 5: the activation of compressed weight ``i`` of group ``g``; 0 if it is 0."""
    value = _field("in_values", 2 * g + i, ACT_BITS)
    pos = _field("in_positions", 2 * g + i, 2)
    cases = {p: _field("in_a", 4 * g + p, ACT_BITS) for p in range(4)}
    picked = v.case("pick", ACT_BITS, pos, cases, "8'd0")
    return v.wire("sel", ACT_BITS, f"({value} != 8'd0) ? {picked} : 8'd0")


def _stc_dp(unit: Unit, ports: list[dict], top: str) -> RefModule:
    """The 2:4 sparse dot-product unit: selection (SPARQ.md section 5), then the DP unit.

    8b8b: 2 groups, 4 non-zero weights, latency 1.  SPARQ: 4 groups, 8 weights; each
    group's pair goes through sections 3, 4 and 6 and is registered together with the
    weights, ``c`` and ``in_valid`` (stage 1); stage 2 is the SPARQ dot product.
    """
    acc, var, cfg = unit.acc_width, unit.variant, unit.config
    kd = 16 if var == "sparq" else 8
    groups, nw = kd // 4, kd // 2
    _check_ports(unit, ports, {
        "clk": ("in", 1), "rst": ("in", 1), "in_valid": ("in", 1), "in_a": ("in", 8 * kd),
        "in_values": ("in", 8 * nw), "in_positions": ("in", 2 * nw), "in_c": ("in", acc),
        "out_valid": ("out", 1), "out_d": ("out", acc)})
    v = _V()
    sel = [[_select(v, g, i) for i in range(2)] for g in range(groups)]
    vals = [_field("in_values", i, ACT_BITS) for i in range(nw)]
    state = {"out_d": acc, "out_valid": 1}
    if var == "8b8b":
        products = [_product(v, sel[i // 2][i % 2], ACT_BITS, vals[i]) for i in range(nw)]
        total = _sum(v, products + [("in_c", acc)], acc)
        _dp_registers(v, total, "in_valid")
    else:
        ww = 2 * (cfg.bits + idx_bits(cfg.shifts) + 1)
        words = [pair_word_expr(v, sel[g][0], sel[g][1], cfg) for g in range(groups)]
        for g in range(groups):
            v.line(f"  reg [{ww - 1}:0] s1_word_{g};")
            state[f"s1_word_{g}"] = ww
        v.line("  reg s1_valid;")
        v.line(f"  reg [{8 * nw - 1}:0] s1_values;")
        v.line(f"  reg signed [{acc - 1}:0] s1_c;")
        state.update(s1_valid=1, s1_values=8 * nw, s1_c=acc)
        v.line("  always @(posedge clk) begin")
        v.line("    if (rst) begin")
        for g in range(groups):
            v.line(f"      s1_word_{g} <= 0;")
        v.line("      s1_valid <= 0;")
        v.line("      s1_values <= 0;")
        v.line("      s1_c <= 0;")
        v.line("    end else begin")
        for g in range(groups):
            v.line(f"      s1_word_{g} <= {words[g]};")
        v.line("      s1_valid <= in_valid;")
        v.line("      s1_values <= in_values;")
        v.line("      s1_c <= in_c;")
        v.line("    end")
        v.line("  end")
        products = []
        for g in range(groups):
            products += _word_products(v, cfg, f"s1_word_{g}", _field("s1_values", 2 * g, 8),
                                       _field("s1_values", 2 * g + 1, 8))
        total = _sum(v, products + [("s1_c", acc)], acc)
        _dp_registers(v, total, "s1_valid")
    text = "\n".join(_header(top, ports, {"out_d", "out_valid"}) + v.body + ["endmodule", ""])
    return RefModule(top, text, state)


def _tru(unit: Unit, ports: list[dict], top: str) -> RefModule:
    """The trim-and-round unit: ``out_word <= word(in_pair)``, ``out_valid <= in_valid``."""
    cfg = unit.config
    ww = 2 * (cfg.bits + idx_bits(cfg.shifts) + 1)
    _check_ports(unit, ports, {
        "clk": ("in", 1), "rst": ("in", 1), "in_valid": ("in", 1), "in_pair": ("in", 16),
        "out_valid": ("out", 1), "out_word": ("out", ww)})
    v = _V()
    word = pair_word_expr(v, "in_pair[7:0]", "in_pair[15:8]", cfg)
    v.line("  always @(posedge clk) begin")
    v.line("    if (rst) begin")
    v.line("      out_word <= 0;")
    v.line("      out_valid <= 0;")
    v.line("    end else begin")
    v.line(f"      out_word <= {word};")
    v.line("      out_valid <= in_valid;")
    v.line("    end")
    v.line("  end")
    text = "\n".join(_header(top, ports, {"out_word", "out_valid"}) + v.body + ["endmodule", ""])
    return RefModule(top, text, {"out_word": ww, "out_valid": 1})


_KINDS = {"sa_pe": _sa_pe, "tc_dp": _tc_dp, "stc_dp": _stc_dp, "tru": _tru}


def reference(unit: Unit, ports: list[dict], top: str = "reference") -> RefModule:
    """The reference module of ``unit`` with the emitted module's ``ports``."""
    if unit.kind not in _KINDS:
        raise ValueError(f"no reference for unit kind {unit.kind!r}; known: {sorted(_KINDS)}")
    if unit.variant in ("sparq",) and unit.config is None:
        raise ValueError(f"{unit.kind} sparq needs a configuration")
    return _KINDS[unit.kind](unit, ports, top)
