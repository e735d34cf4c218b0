"""Systolic arrays against golden.sparq: sizes, presets, rounding, baselines, simulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden.sparq import PRESETS, Config
from hdl.sa.emit import emit_array
from verif.harness import BUILD, SIMULATORS, run_bench
from verif.tb_sa_common import config_args

#: K odd and even, activation sparsity 0 %, 50 % and 90 %.
TILES = [[7, 0.0], [8, 0.5], [5, 0.9], [12, 0.0], [1, 0.5], [10, 0.9]]


def write_files(files: dict[str, str]) -> list[Path]:
    """Emitted modules into build/verif/rtl, each file rewritten only on change."""
    out = BUILD / "rtl"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in sorted(files.items()):
        path = out / name
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(".v.tmp")
            tmp.write_text(text)
            tmp.replace(path)
        paths.append(path)
    return paths


def run_array(sim, variant, cfg, rows, cols, tiles=TILES, acc_width=32, tru=True, seed=1):
    top, files, array = emit_array(variant, cfg, rows=rows, cols=cols, acc_width=acc_width,
                                   tru=tru)
    beats = {str(b): array.stream_cycles(len(tiles), b)
             for b in {k if variant == "8b8b" else (k + 1) // 2 for k, _ in tiles}}
    run_bench(sim, write_files(files), top, "verif.tb_sa_array", args={
        "variant": variant, **config_args(cfg), "rows": rows, "cols": cols,
        "acc_width": acc_width, "tru": tru, "latency": array.latency, "tiles": tiles,
        "seed": seed, "stream_cycles": beats,
    }, testcase="gemm_stream")
    return array


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("rows,cols", [(1, 1), (1, 4), (3, 5), (4, 4), (8, 8), (16, 16)],
                         ids=lambda v: str(v))
def test_sizes_5opt(rows, cols, sim):
    if sim == "verilator" and (rows, cols) not in [(3, 5), (16, 16)]:
        pytest.skip("Verilator builds cost 10-30 s each: two sizes cover it, Icarus runs all")
    run_array(sim, "sparq", Config.preset(5), rows, cols, seed=rows * 100 + cols)
