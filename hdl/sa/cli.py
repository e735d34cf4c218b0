"""Builders of ``python -m hdl.generate --arch sa --unit pe|array``.

Registered in :data:`hdl.generate.BUILDERS`; ``hdl.generate`` is imported
inside the builders because it imports this module.
"""

from __future__ import annotations

from golden.sparq import Config

__all__ = ["SA_BUILDERS", "DEFAULT_ROWS"]

#: Array rows when ``--rows`` is not given (``--cols`` defaults to the rows).
DEFAULT_ROWS = 4


def _variant(args) -> str:
    """``"sparq"`` or the baseline, refusing a SPARQ configuration given to a baseline."""
    if args.baseline is None:
        return "sparq"
    if args.opts is not None or args.bits is not None or not args.rounding:
        raise ValueError(f"--baseline {args.baseline} takes no SPARQ configuration "
                         f"(--opts, --bits/--shifts, --no-round)")
    return args.baseline


def _config_manifest(variant: str, cfg: Config | None) -> dict | None:
    from hdl.sa import SYSMT_CONFIG
    cfg = {"sparq": cfg, "sysmt": SYSMT_CONFIG}.get(variant)
    if cfg is None:
        return None
    return {"name": cfg.name, "bits": cfg.bits, "shifts": list(cfg.shifts),
            "rounding": cfg.rounding, "word_width": cfg.word_width}


def build_sa_pe(args, cfg: Config):
    from hdl.generate import Emission, ports_of
    from hdl.sa.emit import emit_pe
    variant = _variant(args)
    if args.rows is not None or args.cols is not None:
        raise ValueError("--rows/--cols size an array, not a PE (use --unit array)")
    top, files, pe = emit_pe(variant, cfg if variant == "sparq" else None, args.acc_width)
    return Emission(top, files, {
        "variant": variant, "config": _config_manifest(variant, cfg),
        "acc_width": args.acc_width, "ports": ports_of(pe), "latency": pe.latency,
    })


def build_sa_array(args, cfg: Config):
    from hdl.generate import Emission, ports_of
    from hdl.sa.emit import emit_array
    variant = _variant(args)
    rows = DEFAULT_ROWS if args.rows is None else args.rows
    cols = rows if args.cols is None else args.cols
    top, files, array = emit_array(variant, cfg if variant == "sparq" else None, rows=rows,
                                   cols=cols, acc_width=args.acc_width)
    return Emission(top, files, {
        "variant": variant, "config": _config_manifest(variant, cfg),
        "rows": rows, "cols": cols, "acc_width": args.acc_width, "ports": ports_of(array),
        "latency": array.latency,
        "cycles": {
            "beats_per_tile": "K" if variant == "8b8b" else "ceil(K / 2)",
            "tile": f"P - 1 + {array.latency} + {rows}  (P beats, first beat to last row)",
            "stream": f"(N - 1) * max(P, {rows}) + P - 1 + {array.latency} + {rows}",
        },
    })


SA_BUILDERS = {("sa", "pe"): build_sa_pe, ("sa", "array"): build_sa_array}
