"""``make power``: energy per MAC of every unit on the trained network's operands.

Usage: ``python -m workloads.power [--cycles N] [--images N] [--jobs N]
[--liberty PATH] [--period NS] [--only GLOB] [-o DIR] [--workdir DIR]
[--keep-vcd]``.

Builds the operand streams (:mod:`workloads.power.streams`), turns them into each
unit's port values exactly as the hardware sees them (pair words from
:func:`golden.sparq.encode` for SPARQ, raw pairs for SySMT and the TRUs,
4-bit codes for 2x4b-8b, compressed 2:4 weights for the sparse units, the
running partial sum as ``c``), and hands them to the flow core
:func:`synth.power.run_designs`; :mod:`synth.power_report` writes
``reports/power.{md,csv,json,png}``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from pathlib import Path

import numpy as np

from golden.sparq import compress_2to4, encode, matmul, quantize
from hdl.sa.variants import PE_VARIANTS
from synth import liberty as libmod
from synth import sta
from synth.designs import Design, all_designs
from synth.power import EdgeRegister, Job, bits_of, run_designs

from ..progress import Progress
from . import streams as st

ROOT = Path(__file__).resolve().parent.parent
RESET_CYCLES = 2
#: The SA PE stands in row DRAIN_ROW of its column: after a tile it shifts the
#: results of the ARRAY_ROWS - 1 - DRAIN_ROW PEs below it up the drain chain.
ARRAY_ROWS, DRAIN_ROW = 128, 64
KINDS = ("sa_pe", "tc_dp", "stc_dp", "tru")


# ------------------------------------------------------------------ beats

def _beats(layers, tile_seq, k_step: int, cycles: int):
    """Per-cycle operands of back-to-back tiles: (acts (c, k), weights (c, k), first, last, ids).

    ``ids[t]`` is the index into ``tile_seq`` of the tile cycle ``t`` belongs to.
    """
    acts, wts, first, last, ids = [], [], [], [], []
    total, t = 0, 0
    while total < cycles:
        li, m, n = tile_seq[t % len(tile_seq)]
        a, w = layers[li].A[m], layers[li].W[:, n]
        k = -(-a.size // k_step) * k_step
        a = np.pad(a, (0, k - a.size)).reshape(-1, k_step)
        w = np.pad(w, (0, k - w.size)).reshape(-1, k_step)
        b = a.shape[0]
        acts.append(a)
        wts.append(w)
        f, l_ = np.zeros(b, bool), np.zeros(b, bool)
        f[0], l_[-1] = True, True
        first.append(f)
        last.append(l_)
        ids.append(np.full(b, t))
        total += b
        t += 1
    cat = [np.concatenate(x)[:cycles] for x in (acts, wts, first, last, ids)]
    return tuple(cat)


def _drain(layers, tile_seq, ids, last, results_of):
    """(drain_load, drain_in) of the PE in row DRAIN_ROW of a 128-row column.

    The column loads its results the cycle after a tile's last beat; then the
    results of the rows below pass through, one a cycle, until the next load.
    """
    cycles = ids.size
    load = np.zeros(cycles, bool)
    values = np.zeros(cycles, np.int64)
    below = ARRAY_ROWS - 1 - DRAIN_ROW
    ends = np.flatnonzero(last)
    for e in ends:
        if e + 1 >= cycles:
            break
        load[e + 1] = True
        li, m, n = tile_seq[ids[e] % len(tile_seq)]
        layer = layers[li]
        rows = (m + 1 + np.arange(below)) % layer.A.shape[0]
        res = results_of(layer.A[rows], layer.W[:, n:n + 1])[:, 0]
        stop = cycles
        nxt = ends[ends > e]
        if nxt.size:
            stop = min(stop, nxt[0] + 1)
        span = np.arange(e + 2, min(e + 2 + below, stop))
        values[span] = res[:span.size]
    return load, values


def _ctl(first, last):
    return bits_of(1 + 2 * first.astype(np.int64) + 4 * last.astype(np.int64), 3)


def _sa_pe(design: Design, sset, tile_seq, cycles):
    cls = PE_VARIANTS[design.table_variant]
    cfg = design.config
    layers = sset.a4 if cls.name == "2x4b8b" else sset.a8
    a, w, first, last, ids = _beats(layers, tile_seq, cls.k_step, cycles)
    if cls.name == "8b8b":
        act = bits_of(a, 8)
    elif cls.name == "2x4b8b":
        act = bits_of(a, 4)
    elif cls.name == "sysmt":
        act = bits_of(a, 8)
    else:
        act = bits_of(encode(a, cfg), cfg.word_width)
    load, drain = _drain(layers, tile_seq, ids, last,
                         lambda x, y: cls.reference(x, y, cfg, design.acc_width))
    return {"in_act": act, "in_weight": bits_of(w, 8), "in_ctl": _ctl(first, last),
            "drain_in": bits_of(drain, design.acc_width), "drain_load": bits_of(load, 1)}


def _edge(variant: str, cfg, sset, tile_seq, cycles, acc_width=32):
    """Stimuli of the array-edge registers of one SA variant: row lane, column lane, deskew lane.

    The row lane carries what the west edge sends a row (SPARQ: the TRU's pair
    word) plus the 3 control bits, the column lane one PE column's weights,
    the deskew lane the drain values leaving a column.
    """
    cls = PE_VARIANTS["sparq" if cfg is not None else variant]
    d = Design("sa_pe", variant, acc_width)
    stim = _sa_pe(d, sset, tile_seq, cycles)
    row = np.concatenate([stim["in_act"], stim["in_ctl"]], axis=1)
    col = stim["in_weight"]
    layers = sset.a4 if cls.name == "2x4b8b" else sset.a8
    _, _, _, last, ids = _beats(layers, tile_seq, cls.k_step, cycles)
    _, drain = _drain(layers, tile_seq, ids, last,
                      lambda x, y: cls.reference(x, y, cfg, acc_width))
    return {"row": row, "col": col, "drain": bits_of(drain, acc_width)}


def _tru(design: Design, sset, tile_seq, cycles):
    a, *_ = _beats(sset.a8, tile_seq, 2, cycles)
    return {"in_valid": np.ones((cycles, 1), np.uint8), "in_pair": bits_of(a, 8)}


def _partial_sums(products: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``c`` of each step: the sum of the tile's earlier chunk products."""
    c = np.zeros(products.size, np.int64)
    run = 0
    for t in range(products.size):
        if first[t]:
            run = 0
        c[t] = run
        run += int(products[t])
    return c


def _tc_dp(design: Design, sset, tile_seq, cycles):
    from hdl.tc.variants import DP_VARIANTS
    cls = DP_VARIANTS[design.table_variant]
    cfg = design.config
    layers = sset.a4 if cls.name == "2x4b8b" else sset.a8
    a, w, first, _, _ = _beats(layers, tile_seq, cls.k_step, cycles)
    approx = a if cfg is None else quantize(a, cfg)
    c = _partial_sums((approx * w).sum(axis=1), first)
    stim = {"in_valid": np.ones((cycles, 1), np.uint8), "in_b": bits_of(w, 8),
            "in_c": bits_of(c, design.acc_width)}
    if cfg is None:
        stim["in_a"] = bits_of(a, cls.act_bits)
    else:
        stim["in_words"] = bits_of(encode(a, cfg), cfg.word_width)
    return stim


def _stc_dp(design: Design, sset, tile_seq, cycles):
    from hdl.tc.variants import DP_VARIANTS, STC_DENSITY
    cfg = design.config
    k = STC_DENSITY * DP_VARIANTS[design.table_variant].k_step
    a, w, first, _, ids = _beats(sset.s8, tile_seq, k, cycles)
    # compress each step's k weights (whole groups of 4): one call for every step
    vals, pos = compress_2to4(w.T)
    vals, pos = vals.T, pos.T
    if cfg is None:
        prods = (a * w).sum(axis=1)
    else:
        # SPARQ pairs what each step's weights select: the steps of one tile at once
        prods = np.zeros(cycles, np.int64)
        for t in np.unique(ids):
            rows = np.flatnonzero(ids == t)
            prods[rows] = np.diag(matmul(a[rows], w[rows].T, cfg, stc=True))
    c = _partial_sums(prods, first)
    return {"in_valid": np.ones((cycles, 1), np.uint8), "in_a": bits_of(a, 8),
            "in_values": bits_of(vals, 8), "in_positions": bits_of(pos, 2),
            "in_c": bits_of(c, design.acc_width)}


_BUILD = {"sa_pe": _sa_pe, "tc_dp": _tc_dp, "stc_dp": _stc_dp, "tru": _tru}


def _whole_run(per_stream: dict, cycles: int):
    """Reset cycles, then the streams back to back: (stimulus, windows)."""
    names = list(per_stream)
    ports = list(per_stream[names[0]])
    stim, windows, at = {}, {}, RESET_CYCLES
    for p in ports:
        width = per_stream[names[0]][p].shape[1]
        stim[p] = np.concatenate([np.zeros((RESET_CYCLES, width), np.uint8)]
                                 + [per_stream[s][p] for s in names])
    for s in names:
        windows[s] = (at, at + cycles)
        at += cycles
    rst = np.zeros((at, 1), np.uint8)
    rst[:RESET_CYCLES] = 1
    stim["rst"] = rst
    return stim, windows


#: The operand sets and tile sequence of the run, set before the worker processes fork.
_DATA: dict = {}


def _design_inputs(design, cycles: int):
    sets, tile_seq = _DATA["sets"], _DATA["tiles"]
    per = {s: _BUILD[design.kind](design, sets[s], tile_seq, cycles) for s in st.STREAMS}
    return _whole_run(per, cycles)


def _edge_inputs(lane: str, variant: str, cycles: int):
    sets, tile_seq = _DATA["sets"], _DATA["tiles"]
    cfg = Design("sa_pe", variant).config
    per = {s: {"d": _edge(variant, cfg, sets[s], tile_seq, cycles)[lane]} for s in st.STREAMS}
    return _whole_run(per, cycles)


def _edge_width(variant: str, lane: str, acc_width: int = 32) -> int:
    from hdl.emit.hierarchy import unused
    cls = PE_VARIANTS[Design("sa_pe", variant).table_variant]
    pe = unused(cls.build(Design("sa_pe", variant).config, acc_width))
    from amaranth import Shape
    from amaranth.lib.data import Layout

    def width(member):
        shape = pe.signature.members[member].shape
        return (Layout.cast(shape).size if isinstance(shape, Layout) or hasattr(shape, "size")
                else Shape.cast(shape).width)
    return {"row": width("in_act") + 3, "col": width("in_weight"), "drain": acc_width}[lane]


def build_jobs(sets: dict, designs: list, cycles: int, tiles: int = 4096) -> list[Job]:
    """One :class:`~synth.power.Job` per design (and per SA variant, its edge registers).

    The stimuli are built in the worker processes (from :data:`_DATA`).
    """
    from functools import partial
    _DATA["sets"] = sets
    _DATA["tiles"] = st.tiles(sets["real"].a8, tiles)
    jobs = []
    for d in designs:
        jobs.append(Job(d, make=partial(_design_inputs, d, cycles)))
        if d.kind == "sa_pe":
            for lane in ("row", "col", "drain"):
                e = EdgeRegister(lane, d.variant, _edge_width(d.variant, lane))
                jobs.append(Job(e, make=partial(_edge_inputs, lane, d.variant, cycles)))
    return jobs


# ------------------------------------------------------------------ CLI

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m workloads.power",
                description="Energy per MAC of the SPARQ units on the trained network.")
    p.add_argument("--cycles", type=int, default=3000, help="cycles per stream (default 3000)")
    p.add_argument("--images", type=int, default=16,
                   help="test images whose conv layers feed the real stream (default 16)")
    p.add_argument("--jobs", type=int, default=2, help="parallel designs (default 2)")
    p.add_argument("--liberty", default=None,
                   help=f"liberty file (default ${libmod.LIBERTY_ENV} or {libmod.DEFAULT_LIBERTY})")
    p.add_argument("--period", type=float, default=sta.DEFAULT_PERIOD,
                   help=f"clock period in ns (default {sta.DEFAULT_PERIOD:g})")
    p.add_argument("--only", default=None,
                   help="only designs whose key matches one of these comma-separated globs")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="report folder (default reports/, build/power-subset/ with --only)")
    p.add_argument("--workdir", type=Path, default=ROOT / "build" / "power")
    p.add_argument("--keep-vcd", action="store_true", help="keep every design's VCD")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the report from the last run's results (workdir/run.pickle)")
    return p


def main(argv=None) -> int:
    from synth import power_report
    p = parser()
    a = p.parse_args(argv)
    if a.cycles < 100:
        p.error(f"--cycles must be at least 100, got {a.cycles}")
    if a.jobs < 1 or a.images < 1 or a.period <= 0:
        p.error("--jobs and --images must be at least 1, --period positive")
    try:
        lib_path = libmod.resolve(a.liberty)
        sta.sta_command()
        lib = libmod.parse(lib_path)
    except (libmod.LibraryMissing, FileNotFoundError, ValueError) as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    designs = [d for d in all_designs() if d.kind in KINDS
               and (a.only is None or any(fnmatch.fnmatch(d.key, g) for g in a.only.split(",")))]
    if not designs:
        p.error(f"--only {a.only!r} matches no design")
    out = a.output or ROOT / ("reports" if a.only is None else "build/power-subset")
    saved = a.workdir / "run.pickle"
    area_json = ROOT / "reports" / "area.json"
    area = json.loads(area_json.read_text()) if area_json.exists() else None
    if a.report_only:
        if not saved.is_file():
            p.exit(2, f"{p.prog}: error: no saved run in {saved}: run without --report-only\n")
        jobs, results, meta = power_report.load_run(saved)
        for path in power_report.write_all(jobs, results, meta, area, out):
            print(path)
        return 0
    t0 = time.monotonic()
    print("streams: loading the models and their conv layers", file=sys.stderr, flush=True)
    real = st.load_layers(a.images, cache=a.workdir)
    sets = st.derive(real)
    jobs = build_jobs(sets, designs, a.cycles)
    t1 = time.monotonic()
    print(f"streams: {len(jobs)} designs, {a.cycles} cycles a stream ({t1 - t0:.0f} s)",
          file=sys.stderr, flush=True)
    try:
        with Progress(len(jobs), "power", unit="design") as bar:
            # run_designs logs "[done/total] key: result (s)" once per finished design
            results = run_designs(jobs, lib_path, a.workdir, a.jobs, a.period, a.keep_vcd,
                                  log=lambda line: bar.update(1, note=line.split("] ", 1)[-1]))
    except ValueError as e:
        p.exit(2, f"{p.prog}: error: {e}\n")
    from synth import gatesim, power
    view = power.power_view(lib_path.read_text(errors="replace"))
    meta = {"library": lib.name, "liberty": str(lib_path), "period": a.period,
            "voltage": view.voltage, "clock_transition": power.CLOCK_TRANSITION,
            "has_internal": view.has_internal, "jobs": a.jobs,
            "models": str(gatesim.cell_models(lib_path, a.workdir.resolve())),
            "sta": _version(["sta", "-version"]), "iverilog": _version(["iverilog", "-V"]),
            "cycles": a.cycles, "images": a.images, "reset_cycles": RESET_CYCLES,
            "drain_row": DRAIN_ROW, "array_rows": ARRAY_ROWS,
            "stream_stats": _stream_stats(sets), "seconds_streams": round(t1 - t0, 1),
            "seconds_total": round(time.monotonic() - t0, 1),
            "command": "python -m workloads.power"}
    power_report.save_run(saved, jobs, results, meta)
    paths = power_report.write_all(jobs, results, meta, area, out)
    for path in paths:
        print(path)
    failed = [k for k, r in results.items() if isinstance(r, str)]
    for k in failed:
        print(f"error: {k}: {results[k]}", file=sys.stderr)
    return 1 if failed else 0


def _version(cmd) -> str:
    import subprocess
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except OSError:
        return "?"
    line = (out.stdout or out.stderr).strip().splitlines()
    return line[0].strip() if line else "?"


def _stream_stats(sets) -> dict:
    out = {}
    for s, sset in sets.items():
        for kind, layers in sset.kinds().items():
            for layer in layers:
                out[f"{s}/{kind}/{layer.name}"] = {
                    "M": int(layer.A.shape[0]), "K": int(layer.A.shape[1]),
                    "N": int(layer.W.shape[1]), "act_zero_share": round(layer.zero_share, 4),
                    "weight_zero_share": round(layer.weight_zero_share, 4)}
    return out


if __name__ == "__main__":
    sys.exit(main())
