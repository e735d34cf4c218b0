"""``python -m workloads.networks``: reports/networks.{md,json,png} (``make networks``)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m workloads.networks"


def _ints(text: str, what: str, lo: int = 1) -> tuple[int, ...]:
    try:
        vals = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be comma-separated integers, "
                                         f"got {text!r}") from None
    if not vals or min(vals) < lo:
        raise argparse.ArgumentTypeError(f"{what} must be integers >= {lo}, got {text!r}")
    return vals


def parser() -> argparse.ArgumentParser:
    from .catalog import NETWORKS
    names = ", ".join(n.name for n in NETWORKS)
    p = argparse.ArgumentParser(
        prog=COMMAND, description="Cycles, speedup, losses and energy of the paper's networks "
        "on SA, TC and STC arrays (the plan of verif.runner), with RTL checks of sampled tiles "
        "and whole layers through the emitted Verilog.")
    p.add_argument("--networks", default=None,
                   help=f"comma-separated subset of: {names} (default: all)")
    p.add_argument("--batches", type=lambda s: _ints(s, "--batches"), default=(1, 8),
                   help="batch sizes (default 1,8)")
    p.add_argument("--sa", type=lambda s: _ints(s, "--sa"), default=(32, 64, 128),
                   help="SA sizes, rows = cols (default 32,64,128)")
    p.add_argument("--tc", type=lambda s: _ints(s, "--tc"), default=(8, 16),
                   help="TC and STC sizes (default 8,16)")
    p.add_argument("--drain-lanes", type=int, default=4,
                   help="also report the largest SA with this many drain lanes (1: only the "
                        "default array; default 4)")
    p.add_argument("--rtl", choices=("all", "quick", "none"), default="all",
                   help="RTL checks: sampled tiles of every distinct layer shape of every "
                        "network and whole ResNet-50 layers on the 128x128 SA (all), one "
                        "network's tiles (quick), or none")
    p.add_argument("--tiles", type=int, default=3,
                   help="sampled tiles per layer shape and array (default 3)")
    p.add_argument("--out-dir", type=Path, default=ROOT / "reports",
                   help="where the report goes (default reports/)")
    return p


def _networks(p, text):
    from .catalog import NETWORKS
    allowed = [n.name for n in NETWORKS]
    if text is None:
        return allowed
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in chosen if s not in allowed]
    if bad or not chosen:
        p.error(f"--networks: {', '.join(bad) or 'none given'} not known; allowed: "
                f"{', '.join(allowed)}")
    return chosen


#: Whole layers through the 128x128 SPARQ SA: a drain-bound 1x1 layer and a long-K 3x3 one.
WHOLE_LAYERS = (("resnet50", "layer1.0.conv1"), ("resnet50", "layer4.0.conv2"))


def main(argv=None) -> int:
    p = parser()
    a = p.parse_args(argv)
    nets = _networks(p, a.networks)
    if a.drain_lanes < 1 or a.drain_lanes > max(a.sa):
        p.error(f"--drain-lanes must be 1..{max(a.sa)} (the largest SA's rows), "
                f"got {a.drain_lanes}")
    if a.tiles < 1:
        p.error(f"--tiles must be at least 1, got {a.tiles}")
    if not a.out_dir.is_dir():
        p.error(f"--out-dir {a.out_dir} is not a folder")
    os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")
    from ..progress import Progress
    from .arrays import ArrayDesign, default_designs
    from .energy import inference_energy, load_power
    from .evaluate import attach_speedups, network_record
    from .report import plot, write_json, write_md

    start = time.time()
    big = max(a.sa)
    lanes = {"drain_lanes": a.drain_lanes} if a.drain_lanes > 1 else None
    designs = default_designs(a.sa, a.tc)
    if lanes:
        designs += [ArrayDesign("sa", d, big, big, tuple(lanes.items()))
                    for d in ("8b8b", "5opt", "2x4b8b", "sysmt")]
    jobs = [(n, b) for n in nets for b in a.batches]
    records = []
    with Progress(len(jobs), "networks", unit="network") as bar:
        for n, b in jobs:
            records += [network_record(n, b, d) for d in designs]
            bar.update(1, note=f"{n} batch {b}")
    attach_speedups(records)
    power = load_power(ROOT / "reports" / "power.json")
    for r in records:
        r["energy"] = inference_energy(r, power) if power is not None else None

    checks, zero_share = [], None
    if a.rtl != "none":
        checks, zero_share = _rtl(a, nets, big, Progress)
    meta = {"command": COMMAND + (" " + " ".join(argv if argv is not None else sys.argv[1:])
                                  ).rstrip(),
            "date": datetime.date.today().isoformat(), "seconds": time.time() - start,
            "python": platform.python_version(), "networks": nets, "batches": list(a.batches),
            "sa": list(a.sa), "tc": list(a.tc), "drain_lanes": a.drain_lanes,
            "power": None if power is None else power.source, "rtl": a.rtl,
            "rtl_zero_share": zero_share}
    out = a.out_dir
    write_json(out / "networks.json", meta, records, checks)
    write_md(out / "networks.md", meta, records, checks, lanes)
    plot(out / "networks.png", records, max(a.batches))
    bad = [c for c in checks if c["mismatches"] or c["cycles"] != c["plan_cycles"]]
    print(f"wrote {out / 'networks.md'} ({len(records)} records, {len(checks)} RTL checks, "
          f"{len(bad)} failed) in {time.time() - start:.0f} s")
    return 1 if bad else 0


def _rtl(a, nets, big, Progress):
    import dataclasses

    import numpy as np

    from .arrays import ArrayDesign
    from .rtl import check_network, network_gemms, whole_layer
    targets = nets if a.rtl == "all" else nets[:1]
    checks = []
    with Progress(len(targets) + (len(WHOLE_LAYERS) if a.rtl == "all" else 0), "RTL checks",
                  unit="network") as bar:
        for n in targets:
            got = check_network(n, count=a.tiles)
            checks += [dataclasses.asdict(c) for c in got]
            bad = sum(c.mismatches > 0 or c.cycles != c.plan_cycles for c in got)
            bar.update(1, note=f"{n}: {len(got)} checks, {bad} failed")
        if a.rtl == "all":
            for n, layer in WHOLE_LAYERS:
                c = whole_layer(n, layer, ArrayDesign("sa", "5opt", big, big))
                checks.append(dataclasses.asdict(c))
                bar.update(1, note=f"{n} {layer} on {big}x{big}: {c.mismatches} mismatches")
    zero = float(np.mean([(g.A == 0).mean() for g in network_gemms(targets[0])]))
    return checks, zero


if __name__ == "__main__":
    sys.exit(main())
