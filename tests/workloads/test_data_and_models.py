"""The idx loader on the Debian files, deterministic training, committed weights, smoke test."""

import gzip
import struct

import numpy as np
import pytest

from golden.sparq import Config
from workloads import layer_gemms, quantize_model
from workloads._torch import torch
from workloads.data import (
    DEBIAN_PACKAGE,
    DatasetMissing,
    calibration_batches,
    load_fashion_mnist,
    read_idx,
    to_tensor,
)
from workloads.models import MODELS
from workloads.models.train import WEIGHTS_DIR, TrainConfig, load, prunable_layers, train
from workloads.quant.prune import is_2to4


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


@pytest.mark.parametrize("model", ["cnn", pytest.param("resnet", marks=pytest.mark.slow),
                                   pytest.param("mobilenet", marks=pytest.mark.slow)])
def test_short_training_is_deterministic(fmnist_test, model):
    images, labels = fmnist_test
    x, y = to_tensor(images[:384]), torch.from_numpy(labels[:384].astype(np.int64))
    cfg = TrainConfig(epochs=1, prune_epochs=1, batch_size=128)
    runs = [train(cfg, x, y, model=model) for _ in range(2)]
    for a, b in zip(runs[0], runs[1], strict=True):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), k
    pruned = dict(runs[0][1].named_modules())
    names = prunable_layers(runs[0][1])
    assert all(is_2to4(pruned[n].weight) for n in names)
    other = train(TrainConfig(seed=1, epochs=1, prune_epochs=1, batch_size=128), x, y,
                  model=model)[0]
    first = names[0]
    assert not torch.equal(dict(other.named_modules())[first].weight, pruned[first].weight)


@pytest.mark.parametrize("model", list(MODELS))
def test_committed_weights_are_small_and_pruned_is_2to4(model):
    s = MODELS[model]
    for name in (s.dense_file, s.pruned_file):
        assert (WEIGHTS_DIR / name).stat().st_size < 1 << 20
    dense, pruned = load(model=model), load(model=model, pruned=True)
    names = prunable_layers(pruned)
    mods, dmods = dict(pruned.named_modules()), dict(dense.named_modules())
    assert all(is_2to4(mods[n].weight) for n in names)
    assert not all(is_2to4(dmods[n].weight) for n in names)
    first = next(n for n, m in pruned.named_modules()
                 if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    assert first not in names and not is_2to4(mods[first].weight)   # the first stays dense
    assert dense.meta["kind"] == "dense" and pruned.meta["kind"] == "2:4-pruned"
    assert dense.meta["test_accuracy"] > 0.85


def test_prunable_layers_are_what_quantization_touches():
    assert prunable_layers(load()) == ["conv2", "conv3", "fc"]
    net = load(model="mobilenet")
    q = quantize_model(net, None, [torch.zeros(2, 1, 28, 28).uniform_()])
    assert prunable_layers(net) == q.sparq_layers


#: |quantized - FP32| on 500 test images, at most (one image = 0.2 pp)
SMOKE_TOLERANCE = {"cnn": 0.01, "resnet": 0.012, "mobilenet": 0.02}


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("pruned", [False, True], ids=["dense", "2to4-stc"])
def test_accuracy_smoke_500_images(fmnist_test, model, pruned):
    images, labels = fmnist_test
    x = to_tensor(images[:1000])
    y = torch.from_numpy(labels[:1000].astype(np.int64))
    calib = calibration_batches(x[500:], 256, seed=0)          # held apart from the 500 scored
    xt, yt = x[:500], y[:500]
    net = load(model=model, pruned=pruned)
    with torch.no_grad():
        fp32 = float((net(xt).argmax(1) == yt).float().mean())
        assert fp32 > 0.8
        for cfg in (None, Config.preset(5)):
            q = quantize_model(net, cfg, calib, stc=pruned)
            acc = float((q(xt).argmax(1) == yt).float().mean())
            assert abs(acc - fp32) <= SMOKE_TOLERANCE[model], (cfg, acc, fp32)
    # the integer view of the real layers reproduces their outputs
    for g in layer_gemms(q, xt[:2]):
        ref = g.reference()
        np.testing.assert_allclose(g.output, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
