"""cocotb bench: the 2:4 sparse tensor core against golden.sparq.matmul(..., stc=True) + C.

Random 2:4 weights (groups with 0, 1 or 2 non-zero weights), sparse
activations, random K padded to whole steps, random C; sweeps back to back
with random idle cycles.
"""

import cocotb
import numpy as np

from golden.sparq import compress_2to4, matmul, wrap
from verif.harness import bench_args
from verif.tb_tc_common import (activations, check_random_tiles, pack, sparse_2to4,
                                tile_c)


def tiles(rng, args, count):
    m, n, ks = args["rows"], args["cols"], args["k_step"]
    for _ in range(count):
        k = int(rng.integers(1, 4 * ks + 1))
        yield activations(rng, (m, k)), sparse_2to4(rng, k, n), tile_c(rng, m, n, args["acc_width"])


def steps_of(a, w, c, k_step, acc_width):
    """Dense A slices and compressed B slices of each step; K padded with zeros."""
    pad = -a.shape[1] % k_step
    a = np.pad(a, ((0, 0), (0, pad)))
    values, positions = compress_2to4(np.pad(w, ((0, pad), (0, 0))))
    h = k_step // 2
    return [{"in_a": pack(a[:, s:s + k_step], 8),
             "in_values": pack(values[s // 2:s // 2 + h].T, 8),
             "in_positions": pack(positions[s // 2:s // 2 + h].T, 2),
             "in_c": pack(c, acc_width)} for s in range(0, a.shape[1], k_step)]


def model(a, w, c, cfg, acc_width):
    """Golden D: the STC SPARQ product (exact for the baseline) plus C, wrapped."""
    prod = a @ w if cfg is None else matmul(a, w, cfg, stc=True, acc_width=acc_width)
    return wrap(prod + c, acc_width)


@cocotb.test()
async def random_tiles(dut):
    args = bench_args()
    ks, acc, m, n = args["k_step"], args["acc_width"], args["rows"], args["cols"]
    await check_random_tiles(dut, args, tiles, steps_of, model,
                             garbage={"in_a": 8 * ks * m, "in_values": 4 * ks * n,
                                      "in_positions": ks * n, "in_c": acc * m * n})
