"""Arithmetic alternatives measured with the same flow, side by side (not part of ``make area``).

``python -m synth.experiments [-o reports/area_experiments.md]`` synthesizes
small stand-alone blocks that the PE/DP designs could adopt, and prints their
areas and delays next to what the designs use today:

1. the adder tree as built today (each product at its own width, the
   partial sum or ``c`` at the accumulator width) against the former one
   (every operand sign-extended to the accumulator width);
2. separate multipliers plus an adder tree against one fused sum-of-products
   expression (one Yosys ``$macc``, one carry-save tree);
3. the flow option ``synth -booth`` against plain ``synth`` on the multipliers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from amaranth import Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from synth import liberty as libmod
from synth.flow import _liberty, map_design, stage_liberty

ROOT = Path(__file__).resolve().parent.parent
ACC = 32


class FusedDot(wiring.Component):
    """``total = c + sum(a[i] * b[i])`` written as one expression."""

    def __init__(self, count, a_bits):
        self._n = count
        super().__init__({**{f"a{i}": In(unsigned(a_bits)) for i in range(count)},
                          **{f"b{i}": In(signed(8)) for i in range(count)},
                          "c": In(signed(ACC)), "total": Out(signed(ACC))})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.total.eq(self.c + sum(getattr(self, f"a{i}") * getattr(self, f"b{i}")
                                               for i in range(self._n)))
        return m


def _cases():
    from hdl.adder import AdderTree
    from hdl.multiplier import Multiplier
    # (experiment, design today, alternative, today's component, alternative component)
    for label, count, width in (("SA 8b-8b: product + psum", 2, 16),
                                ("SA SPARQ: 2 slot products + psum", 3, 17),
                                ("TC 8b-8b: 4 products + c", 5, 16),
                                ("TC 2x4b-8b: 8 products + c", 9, 12),
                                ("TC SPARQ: 8 slot products + c", 9, 17)):
        yield ("adder tree, all operands at acc width", label,
               AdderTree(count=count, in_bits=[width] * (count - 1) + [ACC], out_bits=ACC),
               AdderTree(count=count, in_bits=ACC, out_bits=ACC), False)
    for label, count, a_bits in (("TC 8b-8b: 4 x (8b x 8b) + c", 4, 8),
                                 ("TC 2x4b-8b: 8 x (4b x 8b) + c", 8, 4)):
        yield ("fused dot product", label, None, FusedDot(count, a_bits), False)
    for a_bits in (8, 4, 3, 2):
        yield ("booth", f"{a_bits}b x 8b multiplier", Multiplier(a_bits=a_bits, b_bits=8),
               Multiplier(a_bits=a_bits, b_bits=8), True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m synth.experiments",
                                description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", type=Path, default=ROOT / "reports" / "area_experiments.md")
    p.add_argument("--liberty", default=None)
    args = p.parse_args(argv)
    try:
        lib_path = libmod.resolve(args.liberty)
    except libmod.LibraryMissing as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    from hdl.emit import convert
    work = ROOT / "build" / "synth_experiments"
    staged = str(stage_liberty(lib_path, work))
    nand2 = _liberty(staged).nand2_area

    def measure(component, key, booth):
        flat, _, timing = map_design(convert(component, key), key, key, staged, str(work),
                                     booth=booth)
        return flat.area(_liberty(staged)) / nand2, timing.delay

    rows = []
    for i, (what, label, today, alt, booth) in enumerate(_cases()):
        base = measure(today, f"exp{i}_today", False) if today is not None else None
        new = measure(alt, f"exp{i}_alt", booth)
        rows.append((what, label, base, new))
        print(f"{what}: {label}: today {base[0] if base else float('nan'):.0f}, "
              f"alternative {new[0]:.0f} NAND2", file=sys.stderr)
    lines = ["# Arithmetic alternatives, same flow (`python -m synth.experiments`)", "",
             "NAND2 equivalents and critical-path delay (ns) of stand-alone blocks, flattened.",
             "Today: the block as the PE/DP designs use it; alternative: see the first column.", "",
             "| experiment | block | today NAND2 | today delay | alternative NAND2 | "
             "alternative delay | ratio |", "|---|---|---|---|---|---|---|"]
    for what, label, base, new in rows:
        lines.append(f"| {what} | {label} | {base[0]:.0f} | {base[1]:.2f} | {new[0]:.0f} | "
                     f"{new[1]:.2f} | {new[0] / base[0]:.2f} |" if base else
                     f"| {what} | {label} | - | - | {new[0]:.0f} | {new[1]:.2f} | - |")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
