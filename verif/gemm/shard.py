"""A GEMM's tiles sharded over a Dask cluster, with the single array's results and cycles.

:func:`run` cuts the tile order into contiguous runs, simulates each on a
worker (:func:`verif.runner.simulate_tiles`, the serial path's own unit of work,
with the same backend), and joins them.  Results are per tile, so C is the
serial run's bit for bit.  The tiles of one GEMM all have the same spacing on
the array (``beats_per_tile + gap`` cycles from one tile's first beat to the
next one's), and the array's timing depends only on what it is fed, so each
run's measured timeline, shifted to where its first tile starts in the serial
stream, is what the single array would show: the joined record is checked by
the same assertions as a serial run (tiles back to back, the formula).

The client is used through ``submit`` and ``gather`` and
``scheduler_info()`` only: ``verif`` does not import Dask.  Workers need the
project installed (they import :mod:`verif`) and their own tools; each builds
a design once and reuses it (the build cache of its machine).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hdl.checks import check_int
from verif.gemm.plan import GemmPlan, Tiling

__all__ = ["Raw", "check", "run", "split"]


@dataclasses.dataclass(frozen=True)
class Raw:
    """What one simulation of a run of tiles recorded (before the host's checks)."""

    c_tiles: np.ndarray         # (T, rows, cols)
    out_cycles: np.ndarray      # (T, results per tile)
    first: np.ndarray           # (T,) cycle of each tile's first beat
    last: np.ndarray            # (T,) and of its last beat
    sim_seconds: float
    build_seconds: float
    build: str
    shards: int = 1
    sim_cpu_seconds: float = 0.0


def check(client, shards) -> int | None:
    """``shards`` checked against ``client`` (None without a client)."""
    if client is None:
        if shards is not None:
            raise ValueError(f"shards={shards!r} applies to a run on a Dask client only "
                             f"(pass client=...)")
        return None
    for attr in ("submit", "gather", "scheduler_info"):
        if not callable(getattr(client, attr, None)):
            raise TypeError(f"client must be a dask.distributed.Client (it has no {attr}()), "
                            f"got {type(client).__name__}")
    return None if shards is None else check_int("shards", shards, 1)


def split(tiles: int, shards: int) -> list[tuple[int, int]]:
    """``shards`` contiguous ``(start, stop)`` runs of ``tiles`` tiles, none empty, sizes +-1."""
    shards = max(1, min(shards, tiles))
    cuts = np.linspace(0, tiles, shards + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def _sub(plan: GemmPlan, til: Tiling, start: int, stop: int) -> tuple[GemmPlan, Tiling]:
    """The plan and blocks of tiles ``start:stop`` (only the blocks they use travel)."""
    order = til.order[start:stop]
    a_ids, a_at = np.unique(order[:, 0], return_inverse=True)
    w_ids, w_at = np.unique(order[:, 1], return_inverse=True)
    sub = Tiling(til.a_blocks[a_ids], til.w_blocks[w_ids],
                 np.stack([a_at, w_at], axis=1).astype(np.int64), til.place[start:stop])
    tiles = stop - start
    return dataclasses.replace(plan, tiles=tiles, beats=tiles * plan.beats_per_tile,
                               idle_cycles=plan.gap * (tiles - 1)), sub


def _simulate(plan, til, simulator, backend, threads) -> Raw:
    from verif.runner import simulate_tiles  # on the worker
    return simulate_tiles(plan, til, simulator, backend, threads)


def run(client, plan: GemmPlan, til: Tiling, simulator: str, backend: str, threads: int,
        shards: int | None) -> Raw:
    """Every tile of ``til`` simulated on ``client``'s workers, joined into one timeline."""
    if shards is None:
        shards = max(1, len(client.scheduler_info().get("workers", {})))
    runs = split(len(til.order), shards)
    futures = [client.submit(_simulate, *_sub(plan, til, a, b), simulator, backend, threads,
                             pure=False, key=f"gemm-{plan.label}-{a}-{b}-{id(til)}")
               for a, b in runs]
    parts: list[Raw] = client.gather(futures)
    spacing = plan.beats_per_tile + plan.gap
    origin = int(parts[0].first[0])
    c, cycles, first, last = [], [], [], []
    for (start, _), part in zip(runs, parts, strict=True):
        shift = origin + start * spacing - int(part.first[0])
        c.append(part.c_tiles)
        cycles.append(part.out_cycles + shift)
        first.append(part.first + shift)
        last.append(part.last + shift)
    return Raw(np.concatenate(c), np.concatenate(cycles), np.concatenate(first),
               np.concatenate(last), sum(p.sim_seconds for p in parts),
               sum(p.build_seconds for p in parts), parts[0].build, len(parts),
               sum(p.sim_cpu_seconds for p in parts))
