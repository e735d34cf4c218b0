"""A small bit-parallel simulator of ASCII AIGER files written by Yosys.

Used only to *guess* which register of the emitted design plays which role
in the reference (the guess is then proved or refuted by the equivalence
check; a wrong guess can only make a proof fail, never pass).  Values are
numpy ``uint64`` words, 64 independent runs per word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Aig", "read_aag"]

_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


@dataclass
class Aig:
    """A combinational AIG with named, multi-bit inputs and outputs."""

    max_var: int
    inputs: dict[str, list[int]]        # port -> literal of each bit (LSB first)
    outputs: dict[str, list[int]]
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def evaluate(self, values: dict[str, np.ndarray], words: int) -> dict[str, np.ndarray]:
        """Outputs for ``values`` (port -> ``(width, words)`` uint64); missing inputs are 0."""
        v = np.zeros((self.max_var + 1, words), dtype=np.uint64)
        for name, lits in self.inputs.items():
            if name in values:
                v[[lit >> 1 for lit in lits]] = values[name]
        for lhs, r0, n0, r1, n1 in self.levels:
            v[lhs] = (v[r0] ^ n0[:, None]) & (v[r1] ^ n1[:, None])
        out = {}
        for name, lits in self.outputs.items():
            arr = v[[lit >> 1 for lit in lits]]
            neg = np.array([_ONES if lit & 1 else np.uint64(0) for lit in lits], dtype=np.uint64)
            out[name] = arr ^ neg[:, None]
        return out


def read_aag(aag: Path) -> Aig:
    """Parse ``write_aiger -ascii -symbols`` output (combinational: no latches).

    Ports come from the symbol table: ``i3 name[2]`` is bit 2 of input ``name``
    (a one-bit port has no index).  Every input and output must be named.
    """
    lines = aag.read_text().split("\n")
    header = lines[0].split()
    if header[0] != "aag":
        raise ValueError(f"{aag}: not an ASCII AIGER file")
    max_var, n_in, n_latch, n_out, n_and = (int(x) for x in header[1:6])
    if n_latch:
        raise ValueError(f"{aag}: {n_latch} latches left (the registers should be everted)")
    pos = 1
    in_lits = [int(lines[pos + i]) for i in range(n_in)]
    pos += n_in
    out_lits = [int(lines[pos + i]) for i in range(n_out)]
    pos += n_out
    ands = np.array([[int(x) for x in lines[pos + i].split()] for i in range(n_and)],
                    dtype=np.int64).reshape(-1, 3)

    inputs: dict[str, dict[int, int]] = {}
    outputs: dict[str, dict[int, int]] = {}
    named = {"i": set(), "o": set()}
    for line in lines[pos + n_and:]:
        if line == "c":
            break
        m = re.fullmatch(r"([io])(\d+) (.+?)(?:\[(\d+)\])?", line)
        if not m:
            continue
        kind, index, name, bit = m.group(1), int(m.group(2)), m.group(3), int(m.group(4) or 0)
        named[kind].add(index)
        if kind == "i":
            inputs.setdefault(name, {})[bit] = in_lits[index]
        else:
            outputs.setdefault(name, {})[bit] = out_lits[index]
    if len(named["i"]) != n_in or len(named["o"]) != n_out:
        raise ValueError(f"{aag}: {n_in - len(named['i'])} inputs and "
                         f"{n_out - len(named['o'])} outputs have no symbol")

    def dense(ports):
        out = {}
        for name, bits in ports.items():
            width = max(bits) + 1
            out[name] = [bits.get(b, 0) for b in range(width)]      # absent bit: constant 0
        return out

    # Levelize the AND gates so that one numpy operation evaluates a whole level.
    level = np.zeros(max_var + 1, dtype=np.int64)
    order = np.argsort(ands[:, 0], kind="stable") if len(ands) else np.zeros(0, np.int64)
    for lhs, r0, r1 in ands[order]:
        level[lhs >> 1] = max(level[r0 >> 1], level[r1 >> 1]) + 1
    levels = []
    if len(ands):
        lv = level[ands[:, 0] >> 1]
        for k in range(1, int(lv.max()) + 1):
            sel = ands[lv == k]
            levels.append((sel[:, 0] >> 1, sel[:, 1] >> 1,
                           np.where(sel[:, 1] & 1, _ONES, np.uint64(0)).astype(np.uint64),
                           sel[:, 2] >> 1,
                           np.where(sel[:, 2] & 1, _ONES, np.uint64(0)).astype(np.uint64)))
    return Aig(max_var, dense(inputs), dense(outputs), levels)
