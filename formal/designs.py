"""The designs ``make prove`` proves, and how each one is emitted.

Every unit is emitted through the command-line generator
(``python -m hdl.generate ... -o DIR``) and read back from the files and the
``<top>.json`` manifest it writes: no module name is assumed.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from formal.reference import Unit
from golden.sparq import PRESETS, Config

__all__ = ["Design", "Emitted", "emit", "DESIGNS", "QUICK", "by_name", "CUSTOM_CONFIG"]

#: The custom configuration proved besides the presets: three shifts (index 3 is not in S)
#: and an accumulator narrower than a slot product (the partial sum is added first).
CUSTOM_CONFIG = Config(4, (0, 1, 4), rounding=True)
CUSTOM_ACC = 16


@dataclass(frozen=True)
class Design:
    """One unit to prove: ``arch``/``unit`` of the CLI, a variant and a configuration.

    A unit that takes packed pair words (SA PE, TC DP) is the same hardware with and
    without rounding (rounding happens in the trim-and-round units that make the
    words; the CLI refuses ``--no-round`` for it), so it is proved once per preset.
    """

    name: str
    arch: str                       # sa, tc, stc
    unit: str                       # pe, dp, tru
    variant: str                    # 8b8b, 2x4b8b, sysmt, sparq
    config: Config | None = None
    acc_width: int = 32
    what: str = ""

    def cli_args(self) -> list[str]:
        args = ["--arch", self.arch, "--unit", self.unit]
        if self.variant != "sparq":
            args += ["--baseline", self.variant]
        else:
            preset = next((k for k, v in PRESETS.items()
                           if v == (self.config.bits, self.config.shifts)), None)
            if preset is not None:
                args += ["--opts", str(preset)]
            else:
                args += ["--bits", str(self.config.bits),
                         "--shifts", ",".join(map(str, self.config.shifts))]
            if not self.config.rounding:
                args.append("--no-round")
        if self.unit != "tru":
            args += ["--acc-width", str(self.acc_width)]
        return args

    @property
    def ref_unit(self) -> Unit:
        kind = {"pe": "sa_pe", "dp": f"{self.arch}_dp", "tru": "tru"}[self.unit]
        return Unit(kind, self.variant, self.config, self.acc_width)


@dataclass
class Emitted:
    top: str
    files: dict[str, str]
    manifest: dict


def emit(design: Design, out: Path) -> Emitted:
    """Run the generator's CLI in-process into ``out``; read the manifest it wrote."""
    from hdl.generate import main  # the CLI entry point only

    out.mkdir(parents=True, exist_ok=True)
    argv = design.cli_args() + ["-o", str(out)]
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            rc = main(argv)
    except SystemExit as e:                 # argparse errors
        rc = e.code
    if rc not in (0, None):
        raise RuntimeError(f"python -m hdl.generate {' '.join(argv)} failed ({rc}): "
                           f"{buf.getvalue().strip()}")
    manifests = sorted(out.glob("*.json"))
    if len(manifests) != 1:
        raise RuntimeError(f"expected one manifest in {out}, found {[m.name for m in manifests]}")
    manifest = json.loads(manifests[0].read_text())
    files = {f: (out / f).read_text() for f in manifest["files"] if f.endswith((".v", ".sv"))}
    if not files:
        raise RuntimeError(f"the manifest {manifests[0].name} lists no Verilog file: "
                           f"{manifest['files']}")
    return Emitted(manifest["top"], files, manifest)


def _presets(rounding: bool = True) -> list[Config]:
    return [Config.preset(k, rounding=rounding) for k in sorted(PRESETS)]


def _designs() -> list[Design]:
    d: list[Design] = [
        Design("sa-pe-8b8b", "sa", "pe", "8b8b", what="SA PE, 8b-8b baseline"),
        Design("sa-pe-2x4b8b", "sa", "pe", "2x4b8b", what="SA PE, 2x4b-8b reference"),
    ]
    for cfg in _presets():
        d.append(Design(f"sa-pe-{cfg.name}", "sa", "pe", "sparq", cfg,
                        what=f"SA PE, SPARQ {cfg.name} (pair words: rounding is not an input)"))
    d.append(Design(f"sa-pe-{CUSTOM_CONFIG.name}-acc{CUSTOM_ACC}", "sa", "pe", "sparq",
                    CUSTOM_CONFIG, CUSTOM_ACC, what="SA PE, custom configuration"))
    d.append(Design("sa-pe-sysmt", "sa", "pe", "sysmt",
                    what="SA PE, SySMT step 1: in-PE windows against the pair word"))
    d += [Design("tc-dp-8b8b", "tc", "dp", "8b8b", what="TC DP unit, 8b-8b baseline"),
          Design("tc-dp-2x4b8b", "tc", "dp", "2x4b8b", what="TC DP unit, 2x4b-8b reference")]
    for cfg in _presets():
        d.append(Design(f"tc-dp-{cfg.name}", "tc", "dp", "sparq", cfg,
                        what=f"TC DP unit, SPARQ {cfg.name} (pair words)"))
    d.append(Design("stc-dp-8b8b", "stc", "dp", "8b8b", what="STC DP unit, sparse 8b-8b"))
    for rounding in (True, False):
        for cfg in _presets(rounding):
            d.append(Design(f"stc-dp-{cfg.name}", "stc", "dp", "sparq", cfg,
                            what=f"STC DP unit, SPARQ {cfg.name} (selection + TRUs)"))
    for rounding in (True, False):
        for cfg in _presets(rounding):
            d.append(Design(f"tru-{cfg.name}", "sa", "tru", "sparq", cfg,
                            what=f"TRU {cfg.name}; its reference vs the golden table"))
    return d


#: Every design of ``make prove``, in table order.
DESIGNS: list[Design] = _designs()

#: The quick subset of the default test suite.
QUICK = ["sa-pe-5opt", "sa-pe-sysmt", "tc-dp-8b8b", "stc-dp-8b8b", "tru-5opt"]


def by_name(name: str) -> Design:
    for d in DESIGNS:
        if d.name == name:
            return d
    raise KeyError(f"no design {name!r}; known: {', '.join(x.name for x in DESIGNS)}")
