"""Systolic arrays against golden.sparq: sizes, presets, rounding, baselines, simulators."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from golden.sparq import PRESETS, Config
from hdl.sa.emit import emit_array
from verif.harness import BUILD, SIMULATORS, run_bench
from verif.tb_sa_common import config_args

#: K odd and even, activation sparsity 0 %, 50 % and 90 %.
TILES = [[7, 0.0], [8, 0.5], [5, 0.9], [12, 0.0], [1, 0.5], [10, 0.9]]


def write_files(files: dict[str, str]) -> list[Path]:
    """Emitted modules into build/verif/rtl, each file rewritten only on change.

    Designs share modules (PEs, delays), and pytest-xdist workers may write the
    same file at once: each writes its own temporary file and renames it, so a
    reader always sees a whole file.
    """
    out = BUILD / "rtl"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in sorted(files.items()):
        path = out / name
        if not path.exists() or path.read_text() != text:
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(path)
        paths.append(path)
    return paths


#: cocotb builds with ``--public-flat-rw``, which keeps every signal of every PE
#: instance (a 32x32 array needed 1 GB, 128x128 over 10 GB); the benches only
#: touch the top's ports.
VERILATOR_ARGS = ("--no-public-flat-rw", "--public-depth", "1")


def verilator_setup(files: dict[str, str], top: str, tiles: int) -> tuple[dict, tuple]:
    """A Verilator control file and build options for an array of ``tiles`` tiles.

    Verilator inlines every module by default, so a 16x16 array compiles 256
    copies of the PE: the control file keeps PEs and rows as shared C++
    classes and, with several tiles, makes the tile a hierarchical block built
    once.  The file names the options, so that they key the build cache.
    """
    args = VERILATOR_ARGS + (("--hierarchical",) if tiles > 1 else ())
    stems = sorted(Path(name).stem for name in files)
    lines = [f'no_inline -module "{m}"' for m in stems if "_sa_pe_" in m or "_sa_row_" in m]
    if tiles > 1:
        lines += [f'hier_block -module "{m}"' for m in stems if "_sa_tile_" in m]
    text = "\n".join(["`verilator_config", f"// built with {' '.join(args)}"] + lines) + "\n"
    return {**files, f"{top}.vlt": text}, args


def run_array(sim, variant, cfg, rows, cols, tiles=TILES, acc_width=32, tru=True, seed=1,
              tile=32):
    top, files, array = emit_array(variant, cfg, rows=rows, cols=cols, acc_width=acc_width,
                                   tru=tru, tile=tile)
    build_args = ()
    if sim == "verilator":
        files, build_args = verilator_setup(files, top, array.tiles)
    beats = {str(b): array.stream_cycles(len(tiles), b)
             for b in {k if variant == "8b8b" else (k + 1) // 2 for k, _ in tiles}}
    run_bench(sim, write_files(files), top, "verif.tb_sa_array", build_args=build_args, args={
        "variant": variant, **config_args(cfg), "rows": rows, "cols": cols,
        "acc_width": acc_width, "tru": tru, "latency": array.latency, "tiles": tiles,
        "seed": seed, "stream_cycles": beats,
    }, testcase="gemm_stream")
    return array


SIZES = [(1, 1), (1, 4), (3, 5), (4, 4), (8, 8), (16, 16)]
#: Icarus runs every size; Verilator builds cost 10-40 s each, so it runs two shapes.
SIZE_CASES = [(r, c, "icarus") for r, c in SIZES] + [(3, 5, "verilator"), (16, 16, "verilator")]


@pytest.mark.parametrize("rows,cols,sim", SIZE_CASES, ids=lambda v: str(v))
def test_sizes_5opt(rows, cols, sim):
    run_array(sim, "sparq", Config.preset(5), rows, cols, seed=rows * 100 + cols)


@pytest.mark.parametrize("sim", SIMULATORS)
def test_uneven_tile_grid(sim):
    """5x7 in tiles of up to 2x2: full, edge and corner tiles, as a 128x128 of 33x33 would be."""
    run_array(sim, "sparq", Config.preset(4), 5, 7, seed=57, tile=2)


@pytest.mark.parametrize("rounding", [True, False], ids=["round", "trim"])
@pytest.mark.parametrize("opts", sorted(PRESETS), ids=lambda o: f"{o}opt")
def test_presets_icarus(opts, rounding):
    run_array("icarus", "sparq", Config.preset(opts, rounding=rounding), 3, 4, seed=opts)


#: Icarus runs every baseline; Verilator runs the 8b-8b array (builds are costly).
BASELINE_CASES = [(v, "icarus") for v in ("8b8b", "2x4b8b", "sysmt")] + [("8b8b", "verilator")]


@pytest.mark.parametrize("variant,sim", BASELINE_CASES)
def test_baselines(variant, sim):
    run_array(sim, variant, None, 4, 3, seed=7)


def test_packed_words_icarus():
    """SPARQ without the trim-and-round units: pre-packed pair words at the west edge."""
    run_array("icarus", "sparq", Config(3, (0, 1, 2, 3, 4, 5), rounding=False), 5, 2,
              tru=False, seed=3)


@pytest.mark.parametrize("rows,tiles", [(4, [[32, 0.5]] * 4), (8, [[6, 0.5]] * 3)],
                         ids=["long-tiles", "short-tiles"])
def test_cycles_sparq_vs_8b8b(rows, tiles):
    """Same GEMM shape on both arrays: the 8b-8b array needs K beats, SPARQ ceil(K/2).

    Each run asserts its own result rows and its stream cycle count against
    ``stream_cycles``; here the two counts are compared with the paper's claim.
    """
    sparq = run_array("icarus", "sparq", Config.preset(3), rows, rows, tiles=tiles, seed=rows)
    base = run_array("icarus", "8b8b", None, rows, rows, tiles=tiles, seed=rows)
    k, n = tiles[0][0], len(tiles)
    fast, slow = sparq.stream_cycles(n, (k + 1) // 2), base.stream_cycles(n, k)
    if k // 2 >= rows:
        assert fast / slow <= 0.6, f"SPARQ took {fast} cycles, 8b-8b {slow}"
    else:       # both are drain-bound (tiles shorter than the rows): only the last tile differs
        assert slow - fast == k - (k + 1) // 2 - sparq.front_latency, (fast, slow)


@pytest.mark.slow
def test_128x128_verilator():
    run_array("verilator", "sparq", Config.preset(5), 128, 128,
              tiles=[[256, 0.5], [300, 0.0], [255, 0.9]], seed=128)
