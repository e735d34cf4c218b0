"""Results cached by content: one record per piece, written atomically.

A piece's key is the SHA-256 of a canonical JSON of everything its result
depends on (:func:`key`): its parameters, the content of its inputs (the
unit's Verilog, the liberty, the upstream pieces' keys), the tool versions
on the workers and the code version of its flow.  Layout::

    <cache>/<kind>/<key[:2]>/<key>.json    the record (JSON)
    <cache>/<kind>/<key[:2]>/<key>.npz     its arrays, when it has any

Every file is written to a temporary name in the same folder, flushed to
disk and renamed over the final name (``os.replace`` is atomic on POSIX), the
arrays before the record: a record that exists is complete, whatever was
interrupted (Ctrl-C, a killed worker or scheduler).  Several writers of one
key (a task run twice after a lost worker) write the same content.  Only
successful results are cached; a failure is computed again on the next run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["key", "Cache", "canonical"]

#: Bump when the record layout changes (every key changes with it).
LAYOUT = 1


def canonical(obj) -> str:
    """JSON with sorted keys and no whitespace: the same object, the same text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def key(kind: str, parts: dict) -> str:
    """The content key of a piece (hex SHA-256)."""
    return hashlib.sha256(canonical({"layout": LAYOUT, "kind": kind, **parts}).encode()
                          ).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Cache:
    """The records under one folder (``build/sweep/cache`` by default, or a shared one)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, kind: str, k: str, suffix: str) -> Path:
        return self.root / kind / k[:2] / f"{k}{suffix}"

    def has(self, kind: str, k: str) -> bool:
        return self._path(kind, k, ".json").is_file()

    def load(self, kind: str, k: str) -> dict | None:
        """The record (with its ``arrays`` when it has some), or None when absent or unreadable.

        An unreadable record (another program's partial copy, a disk error) is a
        miss: the piece is computed again and the record replaced.
        """
        path = self._path(kind, k, ".json")
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("key") != k:
            return None
        result = record["result"]
        if record.get("arrays"):
            try:
                with np.load(self._path(kind, k, ".npz")) as z:
                    result["arrays"] = {name: z[name] for name in z.files}
            except (OSError, ValueError):
                return None
        return result

    def store(self, kind: str, k: str, result: dict, meta: dict | None = None) -> None:
        """Write a result: its arrays (if any) first, then the record."""
        result = dict(result)
        arrays = result.pop("arrays", None)
        if arrays:
            buf = io.BytesIO()
            np.savez(buf, **arrays)
            _write_atomic(self._path(kind, k, ".npz"), buf.getvalue())
        record = {"key": k, "kind": kind, "meta": meta or {}, "arrays": bool(arrays),
                  "result": result}
        _write_atomic(self._path(kind, k, ".json"),
                      json.dumps(record, sort_keys=True, indent=1).encode())

    def records(self):
        """Every record file (for checks): paths of ``*.json`` under the root."""
        return sorted(self.root.rglob("*.json")) if self.root.is_dir() else []

    def verify(self) -> list[str]:
        """Problems of the cache: records that do not parse, name another key or lack arrays.

        Temporary files of interrupted writes are not records and are not problems.
        """
        problems = []
        for path in self.records():
            k, kind = path.stem, path.parent.parent.name
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError) as e:
                problems.append(f"{path}: {e}")
                continue
            if record.get("key") != k or record.get("kind") != kind:
                problems.append(f"{path}: names key {record.get('key')!r}")
            elif self.load(kind, k) is None:
                problems.append(f"{path}: its arrays are missing or unreadable")
        return problems
