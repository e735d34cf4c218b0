"""cocotb bench: the tensor core (TC) against golden.sparq.matmul, D = A x B + C.

Random tiles with random K (padded with zeros to whole steps), sparse
activations, random C; sweeps run back to back with random idle cycles, so
accumulation through ``c`` crosses several K steps and idles.
"""

import cocotb
import numpy as np

from golden.sparq import matmul, wrap
from verif.harness import bench_args
from verif.tb_tc_common import activations, check_random_tiles, pack, tile_c, weights


def tiles(rng, args, count):
    """(A, B, C) operand sets with K from 1 to 6 steps."""
    m, n, ks = args["rows"], args["cols"], args["k_step"]
    for _ in range(count):
        k = int(rng.integers(1, 6 * ks + 1))
        yield activations(rng, (m, k)), weights(rng, (k, n)), tile_c(rng, m, n, args["acc_width"])


def steps_of(a, b, c, k_step, acc_width):
    """Port values of each K step; K is padded with zero activations and weights."""
    pad = -a.shape[1] % k_step
    a = np.pad(a, ((0, 0), (0, pad)))
    b = np.pad(b, ((0, pad), (0, 0)))
    return [{"in_a": pack(a[:, s:s + k_step], 8), "in_b": pack(b[s:s + k_step].T, 8),
             "in_c": pack(c, acc_width)} for s in range(0, a.shape[1], k_step)]


def model(a, b, c, cfg, acc_width):
    """Golden D: SPARQ (or exact for the baseline) product plus C, wrapped."""
    prod = a @ b if cfg is None else matmul(a, b, cfg, acc_width=acc_width)
    return wrap(prod + c, acc_width)


@cocotb.test()
async def random_tiles(dut):
    args = bench_args()
    ks, acc, m, n = args["k_step"], args["acc_width"], args["rows"], args["cols"]
    await check_random_tiles(dut, args, tiles, steps_of, model,
                             garbage={"in_a": 8 * ks * m, "in_b": 8 * ks * n, "in_c": acc * m * n})
