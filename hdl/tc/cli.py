"""Builders of ``python -m hdl.generate --arch tc|stc --unit dp|array``.

Registered in :data:`hdl.generate.BUILDERS`; ``hdl.generate`` is imported
inside the builders because it imports this module.
"""

from __future__ import annotations

from golden.sparq import Config

__all__ = ["TC_BUILDERS", "MAX_TILE"]

#: Largest tile side (a tensor core is 4 x 4).  Rows and DP units are converted once and
#: instantiated: 32 x 32 takes ~4 s.  C and D also limit rows x cols x acc_width (params.py).
MAX_TILE = 64


def _variant(args, arch: str, unit: str) -> str:
    """``"sparq"`` or the baseline the options name, refusing the ones that don't apply."""
    if args.baseline is None:
        return "sparq"
    allowed = ("8b8b", "2x4b8b") if (arch, unit) == ("tc", "dp") else ("8b8b",)
    if args.baseline not in allowed:
        raise ValueError(f"--baseline {args.baseline} is not available for --arch {arch} "
                         f"--unit {unit}; allowed: {', '.join(allowed)}")
    return args.baseline


def _tile(args) -> tuple[int, int]:
    rows = 4 if args.rows is None else args.rows
    cols = rows if args.cols is None else args.cols
    for name, value in (("--rows", rows), ("--cols", cols)):
        if value > MAX_TILE:
            raise ValueError(f"{name} must be in 1..{MAX_TILE} for a tensor core, got {value}")
    return rows, cols


def _no_tile(args, arch: str) -> None:
    if args.rows is not None or args.cols is not None:
        raise ValueError(f"--rows/--cols size the tile of --arch {arch} --unit array, "
                         f"not a dot-product unit")


def _emit(unit, name: str, variant: str, cfg: Config | None, **manifest):
    from hdl.generate import Emission, convert, ports_of
    manifest = dict(manifest, variant=variant, ports=ports_of(unit), latency=unit.latency)
    if cfg is None:
        manifest["config"] = None
    return Emission(name, {f"{name}.v": convert(unit, name)}, manifest)


def _name(kind: str, variant: str, cfg, *parts) -> str:
    from hdl.generate import module_name
    return module_name(kind, cfg if variant == "sparq" else None,
                       *((variant,) if variant != "sparq" else ()), *parts)


def build_tc_dp(args, cfg: Config):
    from hdl.tc import make_dp
    _no_tile(args, "tc")
    variant = _variant(args, "tc", "dp")
    cfg = cfg if variant == "sparq" else None
    unit = make_dp(variant, cfg, acc_width=args.acc_width)
    return _emit(unit, _name("tc_dp", variant, cfg), variant, cfg,
                 k_step=unit.K_STEP, acc_width=args.acc_width)


def build_stc_dp(args, cfg: Config):
    from hdl.tc.sparse_dp import SparseDotProduct
    _no_tile(args, "stc")
    variant = _variant(args, "stc", "dp")
    cfg = cfg if variant == "sparq" else None
    unit = SparseDotProduct(variant=variant, config=cfg, acc_width=args.acc_width)
    return _emit(unit, _name("stc_dp", variant, cfg), variant, cfg,
                 k_step=unit.k_step, acc_width=args.acc_width)


def _build_array(args, cfg: Config, arch: str):
    """One Verilog file per distinct module (DP unit, TRU or selection, the array)."""
    from hdl.generate import Emission, ports_of
    from hdl.tc.emit import emit_array
    variant = _variant(args, arch, "array")
    cfg = cfg if variant == "sparq" else None
    rows, cols = _tile(args)
    top, files, unit = emit_array(arch, variant, cfg, rows=rows, cols=cols,
                                  acc_width=args.acc_width)
    manifest = {"variant": variant, "ports": ports_of(unit), "latency": unit.latency,
                "rows": rows, "cols": cols, "k_step": unit.k_step, "acc_width": args.acc_width,
                "cycles": f"ceil(K / {unit.k_step}) - 1 + {unit.latency} cycles from the first "
                          f"step of a K sweep to out_valid; one step a cycle, sweeps back to back"}
    if cfg is None:
        manifest["config"] = None
    return Emission(top, files, manifest)


#: (arch, unit) -> builder, merged into hdl.generate.BUILDERS.
TC_BUILDERS = {
    ("tc", "dp"): build_tc_dp,
    ("tc", "array"): lambda args, cfg: _build_array(args, cfg, "tc"),
    ("stc", "dp"): build_stc_dp,
    ("stc", "array"): lambda args, cfg: _build_array(args, cfg, "stc"),
}
