"""Emit a design and write ``$readmemh`` stimulus and expected results for its plain testbench.

    .venv/bin/python examples/make_stimulus.py sa      # SPARQ systolic array, 4x4, 5opt
    .venv/bin/python examples/make_stimulus.py tc      # SPARQ tensor core, 4x4, 5opt

writes into ``build/examples/<arch>/`` (``-o`` to change it):

- ``rtl/``: the Verilog and the manifest ``<top>.json``, as ``python -m hdl.generate`` writes them;
- ``design.vh``: the top module's name and the port widths, read from the manifest, for
  ``examples/<arch>/tb.v`` (`` `include "design.vh"``, so compile with ``-I`` that folder);
- ``stimulus.hex``: one line per cycle after reset, the inputs of that cycle packed as
  ``{in_last, in_first, in_valid, <data ports>}``;
- ``expected.hex``: one line per result (an SA result row, a TC tile) from the golden model.

The testbench drives the lines in order, compares every result with the next expected line
and prints PASS, or FAIL and ends with ``$fatal`` (a non-zero exit).  Packing follows the
port reference (docs/ports.md): element 0 of a port in its least significant bits, the outer
index of a 2-D port in the more significant ones.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np

from golden.sparq import Config, matmul, wrap
from hdl.generate import main as generate

ROOT = Path(__file__).resolve().parent.parent


def pack(values, width: int) -> int:
    """Flattened ``values`` as one port value: element 0 in the least significant bits."""
    out, mask = 0, (1 << width) - 1
    for i, v in enumerate(np.asarray(values).ravel()):
        out |= (int(v) & mask) << (i * width)
    return out


def line(fields: list[tuple[int, int]]) -> int:
    """``{fields[0], fields[1], ...}`` of ``(value, width)`` pairs, as Verilog concatenates."""
    out = 0
    for value, width in fields:
        out = (out << width) | (value & ((1 << width) - 1))
    return out


def emit(argv: list[str], out: Path) -> dict:
    """Run the generator into ``out/rtl``; its manifest."""
    with contextlib.redirect_stdout(io.StringIO()):
        if generate([*argv, "-o", str(out / "rtl")]) != 0:
            raise SystemExit("the generator failed")
    (path,) = (out / "rtl").glob("*.json")
    return json.loads(path.read_text())


def widths(manifest: dict) -> dict[str, int]:
    return {p["name"]: p["width"] for p in manifest["ports"]}


def activations(rng, shape) -> np.ndarray:
    """Codes 0..255 with zeros (lone values, empty pairs) and a spread of magnitudes."""
    a = rng.integers(0, 256, shape)
    a = np.where(rng.random(shape) < 0.3, rng.integers(0, 16, shape), a)
    return np.where(rng.random(shape) < 0.3, 0, a)


def idle(rng, widths: list[int]) -> int:
    """A cycle with ``in_valid`` low: ``in_first``, ``in_last`` and random data, all ignored."""
    return line([(1, 1), (1, 1), (0, 1)] + [(int(rng.integers(1 << 62)), w) for w in widths])


def sa(args, out: Path) -> tuple[dict, list[int], list[int], dict]:
    """A stream of SA tiles of different K, with idle cycles and tiles back to back."""
    cfg = Config.preset(args.opts)
    m = emit(["--arch", "sa", "--opts", str(args.opts), "--rows", str(args.rows),
              "--cols", str(args.cols)], out)
    w = widths(m)
    data = [w["in_weight"], w["in_act"]]
    rows, cols, k_step, acc = args.rows, args.cols, m["timing"]["k_step"], 32
    rng = np.random.default_rng(args.seed)
    steps, expected, last_at = [], [], None
    for k in (8, 7, 2, 16, 5):                   # K = 7 and 5 are padded with a zero
        a = activations(rng, (rows, k))
        b = rng.integers(-128, 128, (k, cols))
        expected += [pack(row, acc) for row in matmul(a, b, cfg, acc_width=acc)]
        pad = -k % k_step
        a, b = np.pad(a, ((0, 0), (0, pad))), np.pad(b, ((0, pad), (0, 0)))
        beats = [line([(j == a.shape[1] // k_step - 1, 1), (j == 0, 1), (1, 1),
                       (pack(b[j * k_step:(j + 1) * k_step].T, 8), w["in_weight"]),
                       (pack(a[:, j * k_step:(j + 1) * k_step], 8), w["in_act"])])
                 for j in range(a.shape[1] // k_step)]
        # in_weight: column n's w[2j] in bits 7:0 of its 16; in_act: row i's x[2j] likewise.
        if k == 16:                              # an idle cycle inside a tile
            beats.insert(3, idle(rng, data))
        if last_at is not None:                  # in_last beats at least `rows` cycles apart
            gap = last_at + rows - (len(steps) + len(beats) - 1)
            steps += [idle(rng, data) for _ in range(max(0, gap))]
        steps += beats
        last_at = len(steps) - 1
    header = {"ROWS": rows, "COLS": cols, "ACT_W": w["in_act"], "WEIGHT_W": w["in_weight"],
              "INDEX_W": w["out_index"], "ROW_W": w["out_row"]}
    return m, steps, expected, header


def tc(args, out: Path) -> tuple[dict, list[int], list[int], dict]:
    """Sweeps of the tensor core over different K, with idle cycles and sweeps back to back."""
    cfg = Config.preset(args.opts)
    m = emit(["--arch", "tc", "--opts", str(args.opts), "--rows", str(args.rows),
              "--cols", str(args.cols)], out)
    w = widths(m)
    data = [w["in_c"], w["in_b"], w["in_a"]]
    rows, cols, k_step, acc = args.rows, args.cols, m["timing"]["k_step"], 32
    rng = np.random.default_rng(args.seed)
    steps, expected = [], []
    for n, k in enumerate((8, 24, 20, 16, 8)):  # K = 20 is padded with zeros
        a = activations(rng, (rows, k))
        b = rng.integers(-128, 128, (k, cols))
        c = rng.integers(-(1 << 20), 1 << 20, (rows, cols))
        expected.append(pack(wrap(matmul(a, b, cfg, acc_width=64) + c, acc), acc))
        pad = -k % k_step
        a, b = np.pad(a, ((0, 0), (0, pad))), np.pad(b, ((0, pad), (0, 0)))
        count = a.shape[1] // k_step
        if n in (1, 3):                          # idle cycles; the other sweeps back to back
            steps += [idle(rng, data), idle(rng, data)]
        for s in range(count):
            steps.append(line([
                (s == count - 1, 1), (s == 0, 1), (1, 1),
                (pack(c, acc) if s == 0 else 0, w["in_c"]),          # read on in_first only
                (pack(b[s * k_step:(s + 1) * k_step].T, 8), w["in_b"]),  # in_b[n][k], n outer
                (pack(a[:, s * k_step:(s + 1) * k_step], 8), w["in_a"])]))  # in_a[r][k]
            if n == 2 and s == 0:
                steps.append(idle(rng, data))    # an idle cycle inside a sweep
    header = {"ROWS": rows, "COLS": cols, "A_W": w["in_a"], "B_W": w["in_b"], "C_W": w["in_c"],
              "D_W": w["out_d"]}
    return m, steps, expected, header


def write(out: Path, m: dict, steps: list[int], expected: list[int], header: dict,
          stim_width: int, result_width: int, command: str) -> list[Path]:
    defines = {"DUT": m["top"], **header, "LATENCY": m["timing"]["latency"],
               "STEPS": len(steps), "RESULTS": len(expected), "STIM_W": stim_width}
    vh = [f"// Generated by {command}; do not edit.",
          *[f"`define {k} {v}" for k, v in defines.items()], ""]
    files = {"design.vh": "\n".join(vh),
             "stimulus.hex": "".join(f"{s:0{-(-stim_width // 4)}x}\n" for s in steps),
             "expected.hex": "".join(f"{e:0{-(-result_width // 4)}x}\n" for e in expected)}
    for name, text in files.items():
        (out / name).write_text(text)
    return [out / name for name in files]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="examples/make_stimulus.py", description=__doc__.split(
        "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("arch", choices=("sa", "tc"), help="sa: systolic array, tc: tensor core")
    p.add_argument("-o", "--output", help="folder (default build/examples/<arch>)")
    p.add_argument("--rows", type=int, default=4)
    p.add_argument("--cols", type=int, default=4)
    p.add_argument("--opts", type=int, default=5, help="SPARQ preset (default 5)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    out = Path(args.output or ROOT / "build" / "examples" / args.arch)
    out.mkdir(parents=True, exist_ok=True)
    m, steps, expected, header = (sa if args.arch == "sa" else tc)(args, out)
    data = sum(w for k, w in header.items() if k in ("ACT_W", "WEIGHT_W", "A_W", "B_W", "C_W"))
    result = header.get("ROW_W") or header["D_W"]
    command = (f"examples/make_stimulus.py {args.arch} --rows {args.rows} --cols {args.cols} "
               f"--opts {args.opts} --seed {args.seed}")
    for path in write(out, m, steps, expected, header, data + 3, result, command):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
