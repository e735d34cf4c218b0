"""The idx loader on the Debian files, deterministic training, committed weights, smoke test."""

import gzip
import struct

import numpy as np
import pytest

from golden.sparq import Config
from workloads import _torch
from workloads._torch import from_numpy, to_numpy, torch
from workloads.data import (
    DEBIAN_PACKAGE,
    DatasetMissing,
    calibration_batches,
    load_fashion_mnist,
    read_idx,
    to_tensor,
)
from workloads.model import SPARQ_LAYERS
from workloads.prune import is_2to4
from workloads.quant import layer_gemms, quantize_model
from workloads.train import DENSE_FILE, PRUNED_FILE, WEIGHTS_DIR, TrainConfig, load, train


def test_debian_fashion_mnist_is_read(fmnist_test):
    images, labels = fmnist_test
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    assert (np.bincount(labels) == 1000).all()          # the test split is balanced
    assert 60 < images.mean() < 80                      # Fashion-MNIST's mean pixel is ~73


def test_idx_reader_gz_and_raw(tmp_path):
    data = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">III", 2, 3, 4) + data.tobytes()
    (tmp_path / "a.idx").write_bytes(raw)
    with gzip.open(tmp_path / "a.idx.gz", "wb") as f:
        f.write(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), data)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx.gz"), data)
    (tmp_path / "bad.idx").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="bytes follow"):
        read_idx(tmp_path / "bad.idx")


def test_missing_data_names_the_debian_package(tmp_path):
    with pytest.raises(DatasetMissing, match=DEBIAN_PACKAGE):
        load_fashion_mnist("test", directory=tmp_path)


# Debian's torch 1.13 with the venv's numpy 2 has no native bridge: only the copy path runs there.
@pytest.mark.parametrize("native", [False] + ([True] if _torch.NATIVE_BRIDGE else []))
def test_numpy_bridge_both_ways(monkeypatch, native):
    monkeypatch.setattr(_torch, "NATIVE_BRIDGE", native)
    for dt in (np.float32, np.float64, np.int64, np.int16, np.uint8, np.bool_):
        a = (np.arange(30).reshape(2, 3, 5) % 4).astype(dt)
        t = from_numpy(a)
        assert tuple(t.shape) == a.shape
        b = to_numpy(t)
        assert b.dtype == a.dtype
        np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(to_numpy(torch.arange(10)[::3]), [0, 3, 6, 9])


def test_short_training_is_deterministic(fmnist_test):
    images, labels = fmnist_test
    x, y = to_tensor(images[:384]), from_numpy(labels[:384].astype(np.int64))
    cfg = TrainConfig(epochs=1, prune_epochs=1, batch_size=128)
    runs = [train(cfg, x, y) for _ in range(2)]
    for a, b in zip(runs[0], runs[1], strict=True):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), k
    pruned = dict(runs[0][1].named_modules())
    assert all(is_2to4(pruned[n].weight) for n in SPARQ_LAYERS)
    other = train(TrainConfig(seed=1, epochs=1, prune_epochs=1, batch_size=128), x, y)[0]
    assert not torch.equal(other.conv2.weight, runs[0][0].conv2.weight)


def test_committed_weights_are_small_and_pruned_is_2to4():
    for name in (DENSE_FILE, PRUNED_FILE):
        assert (WEIGHTS_DIR / name).stat().st_size < 1 << 20
    dense, pruned = load(), load(pruned=True)
    mods = dict(pruned.named_modules())
    assert all(is_2to4(mods[n].weight) for n in SPARQ_LAYERS)
    assert not is_2to4(dense.conv2.weight)
    assert dense.meta["kind"] == "dense" and pruned.meta["kind"] == "2:4-pruned"


@pytest.mark.parametrize("pruned", [False, True], ids=["dense", "2to4-stc"])
def test_accuracy_smoke_500_images(fmnist_test, pruned):
    images, labels = fmnist_test
    x = to_tensor(images[:1000])
    y = from_numpy(labels[:1000].astype(np.int64))
    calib = calibration_batches(x[500:], 256, seed=0)          # held apart from the 500 scored
    xt, yt = x[:500], y[:500]
    model = load(pruned=pruned)
    with torch.no_grad():
        fp32 = float((model(xt).argmax(1) == yt).float().mean())
        assert fp32 > 0.85
        for cfg in (None, Config.preset(5)):
            q = quantize_model(model, cfg, calib, stc=pruned)
            acc = float((q(xt).argmax(1) == yt).float().mean())
            assert abs(acc - fp32) <= 0.01, (cfg, acc, fp32)
    # the integer view of the real layers reproduces their outputs
    for g in layer_gemms(q, xt[:2]):
        ref = g.reference()
        np.testing.assert_allclose(g.output, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
