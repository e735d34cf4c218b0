"""Command-line generator: ``python -m hdl.generate --help`` (or ``sparq-generate``).

Parses the options, validates them against the :class:`~hdl.emit.target.Target`
of the chosen ``(arch, unit)`` in one place (:func:`request_from_args`), checks
the output folder, and dispatches to the target's builder; the emission is
written all or nothing (:func:`hdl.emit.writer.write`).
"""

from __future__ import annotations

import argparse
import sys

from golden.sparq import PRESETS, Config
from hdl import build as shared_build
from hdl.emit.target import OPTIONS, Request, Target
from hdl.emit.writer import check_output, write
from hdl.sa import build as sa_build
from hdl.tc import build as tc_build

__all__ = ["TARGETS", "parser", "request_from_args", "main"]

#: Every (arch, unit) the generator emits.
TARGETS: dict[tuple[str, str], Target] = {
    (t.arch, t.unit): t for t in shared_build.TARGETS + sa_build.TARGETS + tc_build.TARGETS}
ARCHS = tuple(dict.fromkeys(arch for arch, _ in TARGETS))
UNITS = tuple(dict.fromkeys(unit for _, unit in TARGETS))
BASELINES = tuple(dict.fromkeys(v for t in TARGETS.values() for v in t.variants if v != "sparq"))
FLAGS = {"rows": "--rows", "cols": "--cols", "acc_width": "--acc-width", "input": "--input",
         "rounding": "--no-round"}
DEFAULT_PRESET = 5


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_in(lo: int, hi: int, what: str):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer in {lo}..{hi}, "
                                             f"got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{what} must be in {lo}..{hi}, got {value}")
        return value
    return parse


def _shift_list(text):
    try:
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--shifts must be comma-separated integers such as 0,2,4, got {text!r}") from None


def _targets_help() -> str:
    lines = ["targets (--arch, --unit: what it is; --baseline values):"]
    for (arch, unit), t in TARGETS.items():
        baselines = ", ".join(v for v in t.variants if v != "sparq") or "none"
        lines.append(f"  {arch:4} {unit:6} {t.summary}; baselines: {baselines}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m hdl.generate",
                description="Generate SPARQ hardware as Verilog, with a JSON manifest.",
                epilog=_targets_help() + "\n\nCustom configurations (--bits/--shifts): S must "
                       "hold 0 and 8-bits and, for every lone-value placement t in "
                       "0..8-2*bits, both t and t+bits; so for --bits 2 and 3 the only legal "
                       "set is the full one (the 7opt and 6opt presets) and custom sets exist "
                       "for --bits 4 only (e.g. 0,1,4).",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=ARCHS, default="sa",
                   help="sa: systolic array, tc: tensor core, stc: 2:4 sparse tensor core "
                        "(default sa)")
    p.add_argument("--unit", choices=UNITS, default=None,
                   help="what to emit (default: array)")
    p.add_argument("--opts", type=_int_in(min(PRESETS), max(PRESETS), "--opts"), default=None,
                   help=f"SPARQ preset {min(PRESETS)}..{max(PRESETS)} "
                        f"(default {DEFAULT_PRESET})")
    p.add_argument("--bits", type=_int_in(2, 4, "--bits"), default=None,
                   help="custom configuration: data bits per slot (with --shifts)")
    p.add_argument("--shifts", type=_shift_list, default=None,
                   help="custom configuration: allowed window shifts, e.g. 0,1,4")
    p.add_argument("--no-round", dest="rounding", action="store_const", const=False,
                   default=None, help="trim without rounding (the paper's 'Trim'); only for "
                                      "designs with trim-and-round units")
    p.add_argument("--baseline", choices=BASELINES, default=None,
                   help="emit a baseline design instead of SPARQ")
    p.add_argument("--rows", type=_int_in(1, 1024, "--rows"), default=None,
                   help="array rows (default 4)")
    p.add_argument("--cols", type=_int_in(1, 1024, "--cols"), default=None,
                   help="array columns (default: --rows)")
    p.add_argument("--acc-width", type=_int_in(8, 64, "--acc-width"), default=None,
                   help="accumulator width in bits (default 32)")
    p.add_argument("--input", choices=("raw", "packed"), default=None,
                   help="SA array: raw activation codes (default; SPARQ trims and rounds at "
                        "the west edge) or packed pair words from your own TRUs")
    p.add_argument("-o", "--output", default="build",
                   help="output folder (default build/)")
    return p


def _where(target: Target) -> str:
    return f"--arch {target.arch} --unit {target.unit}"


def _config(args, variant: str, target: Target) -> Config | None:
    """The configuration the options name; refuses SPARQ options given to a baseline."""
    given = [flag for flag, value in (("--opts", args.opts), ("--bits", args.bits),
                                       ("--shifts", args.shifts)) if value is not None]
    if variant != "sparq":
        if given or args.rounding is not None:
            flags = ", ".join(given + (["--no-round"] if args.rounding is not None else []))
            raise ValueError(f"--baseline {variant} takes no SPARQ configuration (got {flags})")
        return None
    if (args.bits is None) != (args.shifts is None):
        raise ValueError("--bits and --shifts go together (a custom configuration needs both)")
    rounding = args.rounding is None
    if args.bits is not None:
        if args.opts is not None:
            raise ValueError("give either --opts or --bits/--shifts, not both")
        return Config(args.bits, args.shifts, rounding)
    return Config.preset(args.opts if args.opts is not None else DEFAULT_PRESET,
                         rounding=rounding)


def request_from_args(args) -> Request:
    """The one validation of option combinations, for every arch and unit."""
    unit = args.unit or "array"
    target = TARGETS.get((args.arch, unit))
    if target is None:
        units = [u for a, u in TARGETS if a == args.arch]
        raise ValueError(f"--unit {unit} is not available for --arch {args.arch}; "
                         f"allowed: {', '.join(units)}")
    variant = args.baseline or "sparq"
    if variant not in target.variants:
        allowed = [v for v in target.variants if v != "sparq"] or ["none"]
        raise ValueError(f"--baseline {variant} is not available for {_where(target)}; "
                         f"allowed: {', '.join(allowed)}")
    for option in OPTIONS:
        if option != "rounding" and getattr(args, option) is not None \
                and option not in target.options:
            raise ValueError(f"{FLAGS[option]} does not apply to {_where(target)}")
    config = _config(args, variant, target)
    rows = cols = None
    if "rows" in target.options:
        rows = target.default_side if args.rows is None else args.rows
        cols = rows if args.cols is None else args.cols
        for flag, value in (("--rows", rows), ("--cols", cols)):
            if target.max_side is not None and value > target.max_side:
                raise ValueError(f"{flag} must be in 1..{target.max_side} for {_where(target)}, "
                                 f"got {value}")
    request = Request(
        arch=args.arch, unit=unit, variant=variant, config=config, rows=rows, cols=cols,
        acc_width=(32 if args.acc_width is None else args.acc_width)
        if "acc_width" in target.options else None,
        input=(args.input or "raw") if "input" in target.options else None)
    if args.rounding is not None and not target.has_tru(request):
        raise ValueError(f"--no-round does not apply to {_where(target)}"
                         + (" --input packed" if request.input == "packed" else "")
                         + ": it takes packed pair words; rounding happens in the "
                           "trim-and-round units")
    return request


def _argv(argv: list[str]) -> list[str]:
    """``--shifts -1,0,4`` as ``--shifts=-1,0,4``: argparse takes ``-1,0,4`` for an option."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--shifts" and i + 1 < len(argv) and argv[i + 1][:1] == "-" \
                and argv[i + 1][1:2].isdigit():
            out.append(f"--shifts={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv=None) -> int:
    p = parser()
    try:
        args = p.parse_args(_argv(list(sys.argv[1:] if argv is None else argv)))
        try:
            request = request_from_args(args)
            out = check_output(args.output)
            emission = TARGETS[request.arch, request.unit].build(request)
        except (ValueError, TypeError) as e:
            p.error(str(e))
        try:
            written = write(emission, out)
        except OSError as e:
            p.exit(2, f"{p.prog}: error: cannot write to {out}: {e.strerror or e}\n")
    except KeyboardInterrupt:
        p.exit(130, f"{p.prog}: interrupted; nothing was written\n")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
