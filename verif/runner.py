"""Run emitted arrays on the simulators: the library the regressions, benchmarks and users call.

:func:`run_array` streams random GEMM tiles through an emitted SA and checks
them in the bench (:mod:`verif.tb_sa_array`); it returns the array and the
bench's build folder.
"""

from __future__ import annotations

from pathlib import Path

from hdl.sa.build import emit_array
from verif.harness import run_bench, sources
from verif.tb_sa_array import ArrayArgs

__all__ = ["TILES", "run_array", "verilator_setup", "VERILATOR_ARGS"]

#: K odd and even, activation sparsity 0 %, 50 % and 90 %.
TILES = [[7, 0.0], [8, 0.5], [5, 0.9], [12, 0.0], [1, 0.5], [10, 0.9]]


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


def run_array(sim, variant, cfg, rows, cols, tiles=TILES, acc_width=32, input="raw", seed=1,
              tile=32):
    top, files, array = emit_array(variant, cfg, rows=rows, cols=cols, acc_width=acc_width,
                                   input=input, tile=tile)
    build_args = ()
    if sim == "verilator":
        files, build_args = verilator_setup(files, top, array.tiles)
    # Every stream is checked against the formula, tiles of different K included.
    cycles = array.mixed_stream_cycles([array.beats(k) for k, _ in tiles])
    run_bench(sim, sources(top, files), top, "verif.tb_sa_array", ArrayArgs(
        variant=variant, config=cfg, rows=rows, cols=cols, acc_width=acc_width,
        packed=input == "packed", latency=array.latency, tiles=tuple(map(tuple, tiles)),
        seed=seed, stream_cycles=cycles), build_args=build_args, testcase="gemm_stream")
    return array


def run_array(sim, variant, cfg, rows, cols, tiles=TILES, acc_width=32, input="raw", seed=1,
              tile=32):
    """Emit an SA, stream ``tiles`` (``[K, sparsity]`` each) through it on ``sim``, check it.

    Returns ``(array, build folder)``.
    """
    top, files, array = emit_array(variant, cfg, rows=rows, cols=cols, acc_width=acc_width,
                                   input=input, tile=tile)
    build_args = ()
    if sim == "verilator":
        files, build_args = verilator_setup(files, top, array.tiles)
    # Every stream is checked against the formula, tiles of different K included.
    cycles = array.mixed_stream_cycles([array.beats(k) for k, _ in tiles])
    build = run_bench(sim, sources(top, files), top, "verif.tb_sa_array", ArrayArgs(
        variant=variant, config=cfg, rows=rows, cols=cols, acc_width=acc_width,
        packed=input == "packed", latency=array.latency, tiles=tuple(map(tuple, tiles)),
        seed=seed, stream_cycles=cycles), build_args=build_args, testcase="gemm_stream")
    return array, build
