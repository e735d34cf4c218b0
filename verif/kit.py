"""The host side of the verification kit: port packing, typed bench arguments, stimulus, files.

Shared by every bench and by the pytest side; nothing here imports cocotb, so
the GEMM runner and the examples can use it too.

Packing convention (the emitted Verilog's): a flattened port holds element 0
in its least significant bits; a 2-D port ``p[i][j]`` is flattened with the
outer index ``i`` in the more significant bits, so element ``(i, j)`` of an
``n``-column port of ``w``-bit fields sits at bits ``(i * n + j) * w``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from pathlib import Path

import numpy as np

from golden.sparq import Config, wrap

__all__ = ["pack", "unpack", "uint", "BenchArgs", "activations", "mixed_activations",
           "weights", "sparse_2to4", "tile_c", "write_sources", "ARGS_ENV"]

#: Environment variable carrying a bench's typed arguments into the simulator.
ARGS_ENV = "SPARQ_BENCH_ARGS"


# ------------------------------------------------------------------------ packing

def pack(values, width: int) -> int:
    """Flattened ``values`` (element 0 at the LSBs) as one unsigned port value."""
    out, mask = 0, (1 << width) - 1
    for i, v in enumerate(np.asarray(values).ravel()):
        out |= (int(v) & mask) << (i * width)
    return out


def unpack(value: int, width: int, count: int, signed: bool = True) -> list[int]:
    """The ``count`` fields of a packed port value (two's complement with ``signed``)."""
    fields = [(value >> (i * width)) & ((1 << width) - 1) for i in range(count)]
    if not signed:
        return fields
    return [f - (1 << width) if f >> (width - 1) else f for f in fields]


def uint(value) -> int:
    """An unsigned port value; 1-bit ports read as ``Logic``, which has no ``to_unsigned``."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


# ------------------------------------------------------------------ bench arguments

@dataclasses.dataclass(frozen=True)
class BenchArgs:
    """Typed arguments of a bench, carried as JSON in :data:`ARGS_ENV`.

    A bench declares a frozen dataclass deriving from this one; the pytest
    side builds it and passes it to :func:`verif.harness.run_bench`, the
    cocotb side reads it back with ``MyArgs.load()``.  Fields may be ints,
    floats, strings, bools, lists, ``Config`` or ``None``.
    """

    def dump(self) -> str:
        return json.dumps({"type": type(self).__qualname__, "fields": dataclasses.asdict(self)})

    @classmethod
    def load(cls, text: str | None = None):
        record = json.loads(text if text is not None else os.environ[ARGS_ENV])
        if record["type"] != cls.__qualname__:
            raise TypeError(f"bench arguments are a {record['type']}, not a {cls.__qualname__}")
        hints = typing.get_type_hints(cls)
        return cls(**{k: _decode(hints[k], v) for k, v in record["fields"].items()})


def _decode(hint, value):
    """JSON back into the field's type (configurations, tuples of lists)."""
    if value is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) \
        or typing.get_origin(hint) is typing.Union else (hint,)
    if Config in options:
        return Config(value["bits"], tuple(value["shifts"]), value["rounding"])
    if any(o is tuple or typing.get_origin(o) is tuple for o in options):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


# ------------------------------------------------------------------------ stimulus

def activations(rng, shape, sparsity: float, top: int = 256) -> np.ndarray:
    """Codes below ``top`` with a ``sparsity`` share of zeros; some small, some ``top - 1``."""
    a = rng.integers(1, top, size=shape)
    small = rng.random(shape) < 0.3
    a = np.where(small, rng.integers(1, max(2, top // 16), size=shape), a)
    a[rng.random(shape) < 0.05] = top - 1
    return np.where(rng.random(shape) < sparsity, 0, a)


def mixed_activations(rng, shape, top: int = 256) -> np.ndarray:
    """Codes with a random share of zeros and a random magnitude range per call.

    Small ranges exercise the low windows, full-range the high ones, zeros
    the lone-value and both-zero pair cases.
    """
    limit = int(rng.choice([16, 64, 256]))
    a = rng.integers(0, min(limit, top), size=shape)
    return np.where(rng.random(shape) < rng.choice([0.0, 0.3, 0.6]), 0, a)


def weights(rng, shape) -> np.ndarray:
    w = rng.integers(-128, 128, size=shape)
    w[rng.random(shape) < 0.05] = -128           # the extreme weight, often
    return w


def sparse_2to4(rng, k: int, n: int) -> np.ndarray:
    """2:4 sparse weights (K, N): each group of 4 keeps 0, 1 or 2 random positions."""
    w = weights(rng, (k, n))
    keep = np.zeros((k, n), dtype=bool)
    for g in range(0, k, 4):
        for col in range(n):
            count = int(rng.choice([0, 1, 2, 2, 2]))
            span = min(4, k - g)
            keep[g + rng.choice(span, size=min(count, span), replace=False), col] = True
    w = np.where(keep, w, 0)
    w[keep & (w == 0)] = 1            # a kept weight is non-zero
    return w


def tile_c(rng, rows: int, cols: int, acc_width: int) -> np.ndarray:
    half = 1 << (acc_width - 1)
    return wrap(rng.integers(-half, half, size=(rows, cols), dtype=np.int64), acc_width)


# --------------------------------------------------------------------------- files

def write_sources(files: dict[str, str], folder: Path, top: str | None = None) -> list[Path]:
    """Write emitted files into ``folder``, each rewritten only when its text changed.

    Safe for parallel writers (pytest-xdist workers emitting the same shared
    module): each writes a temporary file named after its process and renames
    it, so a reader always sees a whole file.  The ``top`` file comes last
    (some simulators want the top module last).
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in sorted(files.items(), key=lambda kv: (kv[0] == f"{top}.v", kv[0])):
        path = folder / name
        if not path.exists() or path.read_text() != text:
            tmp = folder / f".{name}.{os.getpid()}.tmp"
            tmp.write_text(text)
            tmp.replace(path)
        paths.append(path)
    return paths
