"""The content cache: keys, atomic records, arrays, and what counts as consistent."""

import contextlib

import numpy as np

from sweep.cache import Cache, key


def test_key_changes_with_every_part_and_not_with_order():
    base = {"params": {"a": 1, "b": [1, 2]}, "inputs": ["x"], "tools": {"sta": "2"}, "code": "c"}
    k = key("synth", base)
    assert key("synth", dict(reversed(list(base.items())))) == k
    for part, value in (("params", {"a": 2, "b": [1, 2]}), ("inputs", ["y"]),
                        ("tools", {"sta": "3"}), ("code", "d")):
        assert key("synth", {**base, part: value}) != k
    assert key("power", base) != k


def test_store_and_load_with_arrays(tmp_path):
    c = Cache(tmp_path)
    a = np.arange(12).reshape(3, 4)
    c.store("streams", "ab" * 32, {"n": 1, "arrays": {"x/A": a}})
    got = c.load("streams", "ab" * 32)
    assert got["n"] == 1 and np.array_equal(got["arrays"]["x/A"], a)
    assert c.verify() == []


def test_a_broken_or_foreign_record_is_a_miss_and_a_problem(tmp_path):
    c = Cache(tmp_path)
    c.store("synth", "cd" * 32, {"n": 1})
    path = tmp_path / "synth" / "cd" / f"{'cd' * 32}.json"
    path.write_text(path.read_text()[:20])
    assert c.load("synth", "cd" * 32) is None
    assert len(c.verify()) == 1


def test_an_interrupted_write_leaves_no_record(tmp_path, monkeypatch):
    import os
    c = Cache(tmp_path)

    def boom(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with contextlib.suppress(KeyboardInterrupt):
        c.store("synth", "ef" * 32, {"n": 1})
    monkeypatch.undo()
    assert not c.has("synth", "ef" * 32) and c.records() == []
    assert list(tmp_path.rglob("*.tmp")) == []
