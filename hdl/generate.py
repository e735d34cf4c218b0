"""Command-line generator: ``python -m hdl.generate --help``.

Each ``(arch, unit)`` pair has a builder that returns an :class:`Emission`:
Verilog files by name, the top module and a manifest.  Output is written to a
temporary folder inside the output folder and moved into place file by file,
the manifest last, so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from amaranth import Shape
from amaranth.back import verilog
from amaranth.lib import data, wiring

from golden.sparq import PRESETS, Config

__all__ = ["Emission", "BUILDERS", "module_name", "ports_of", "convert", "main"]

ARCHS = ("sa", "tc", "stc")
UNITS = ("tru", "pe", "dp", "array")
BASELINES = ("8b8b", "2x4b8b", "sysmt")


def module_name(unit: str, cfg: Config | None = None, *parts) -> str:
    """A Verilog-safe module name such as ``sparq_tru_5opt`` or ``sparq_pe_3opt_trim``."""
    words = ["sparq", unit] + ([cfg.name] if cfg is not None else []) + [str(p) for p in parts]
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(words))


def convert(component, name: str) -> str:
    """Deterministic Verilog of one component (no source locations)."""
    return verilog.convert(component, name=name, emit_src=False)


def ports_of(component: wiring.Component) -> list[dict]:
    """The Verilog ports of a component: name, direction and width."""
    ports = [{"name": "clk", "dir": "in", "width": 1}, {"name": "rst", "dir": "in", "width": 1}]
    for path, member in component.signature.members.flatten():
        if not member.is_port:
            continue
        shape = member.shape
        width = data.Layout.cast(shape).size if isinstance(shape, data.Layout) \
            else Shape.cast(shape).width
        ports.append({"name": "__".join(map(str, path)),
                      "dir": "in" if member.flow == wiring.In else "out", "width": width})
    return ports


@dataclass
class Emission:
    """What a builder produces: Verilog text per file name, the top and its manifest."""

    top: str
    files: dict[str, str]
    manifest: dict = field(default_factory=dict)


def _config_manifest(cfg: Config | None) -> dict | None:
    if cfg is None:
        return None
    return {"name": cfg.name, "bits": cfg.bits, "shifts": list(cfg.shifts),
            "rounding": cfg.rounding, "word_width": cfg.word_width}


def _build_tru(args, cfg: Config) -> Emission:
    from hdl.tru import TrimRoundUnit
    unit = TrimRoundUnit(config=cfg)
    name = module_name("tru", cfg)
    return Emission(name, {f"{name}.v": convert(unit, name)},
                    {"ports": ports_of(unit), "latency": unit.latency})


#: (arch, unit) -> builder(args, cfg) -> Emission.  The TRU is the same for every arch.
BUILDERS: dict[tuple[str, str], Callable] = {(arch, "tru"): _build_tru for arch in ARCHS}

from hdl.tc.cli import TC_BUILDERS  # noqa: E402  (tensor core; imports this module lazily)

BUILDERS.update(TC_BUILDERS)

from hdl.sa.cli import SA_BUILDERS  # noqa: E402  (systolic array; imports this module lazily)

BUILDERS.update(SA_BUILDERS)


# ------------------------------------------------------------------------------ CLI

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


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m hdl.generate",
                description="Generate SPARQ hardware as Verilog, with a JSON manifest.")
    p.add_argument("--arch", choices=ARCHS, default="sa",
                   help="sa: systolic array, tc: tensor core, stc: 2:4 sparse tensor core "
                        "(default sa)")
    p.add_argument("--unit", choices=UNITS, default=None,
                   help="what to emit (default: array where the arch has one, else tru)")
    p.add_argument("--opts", type=_int_in(min(PRESETS), max(PRESETS), "--opts"), default=None,
                   help=f"SPARQ preset {min(PRESETS)}..{max(PRESETS)} (default 5)")
    p.add_argument("--bits", type=_int_in(2, 4, "--bits"), default=None,
                   help="custom configuration: data bits per slot (with --shifts)")
    p.add_argument("--shifts", type=_shift_list, default=None,
                   help="custom configuration: allowed window shifts, e.g. 0,2,4")
    p.add_argument("--no-round", dest="rounding", action="store_false",
                   help="trim without rounding (the paper's 'Trim')")
    p.add_argument("--baseline", choices=BASELINES, default=None,
                   help="emit a baseline design instead of SPARQ")
    p.add_argument("--rows", type=_int_in(1, 1024, "--rows"), default=None,
                   help="array rows (default 4)")
    p.add_argument("--cols", type=_int_in(1, 1024, "--cols"), default=None,
                   help="array columns (default: --rows)")
    p.add_argument("--acc-width", type=_int_in(8, 64, "--acc-width"), default=32,
                   help="accumulator width in bits (default 32)")
    p.add_argument("-o", "--output", type=Path, default=Path("build"),
                   help="output folder (default build/)")
    return p


def config_from_args(args) -> Config | None:
    """The configuration the options name; ``None`` for a baseline without one."""
    if (args.bits is None) != (args.shifts is None):
        raise ValueError("--bits and --shifts go together (a custom configuration needs both)")
    if args.bits is not None:
        if args.opts is not None:
            raise ValueError("give either --opts or --bits/--shifts, not both")
        return Config(args.bits, args.shifts, args.rounding)
    return Config.preset(args.opts if args.opts is not None else 5, rounding=args.rounding)


def default_unit(arch: str) -> str:
    return "array" if (arch, "array") in BUILDERS else "tru"


def write(emission: Emission, out: Path) -> list[Path]:
    """Write the files and ``<top>.json`` atomically into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = dict(emission.manifest, top=emission.top, files=sorted(emission.files))
    staged = dict(emission.files)
    staged[f"{emission.top}.json"] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    written = []
    with tempfile.TemporaryDirectory(dir=out, prefix=".staging-") as tmp:
        for name, text in staged.items():
            (Path(tmp) / name).write_text(text)
        for name in staged:                   # manifest last: it lists complete files only
            os.replace(Path(tmp) / name, out / name)
            written.append(out / name)
    return written


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    unit = args.unit or default_unit(args.arch)
    builder = BUILDERS.get((args.arch, unit))
    if builder is None:
        units = sorted(u for a, u in BUILDERS if a == args.arch)
        p.error(f"--unit {unit} is not available for --arch {args.arch}; "
                f"allowed: {', '.join(units)}")
    try:
        cfg = config_from_args(args)
        emission = builder(args, cfg)
    except (ValueError, TypeError) as e:
        p.error(str(e))
    emission.manifest.setdefault("arch", args.arch)
    emission.manifest.setdefault("unit", unit)
    emission.manifest.setdefault("config", _config_manifest(cfg))
    try:
        written = write(emission, args.output)
    except OSError as e:
        p.exit(2, f"{p.prog}: error: cannot write to {args.output}: {e.strerror}\n")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
