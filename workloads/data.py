"""Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (idx files).

The package installs the four standard files under
``/usr/share/datasets/fashion-mnist``; ``FASHION_MNIST_DIR`` points elsewhere.
Nothing is downloaded at run time.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

__all__ = [
    "DEBIAN_PACKAGE", "DEFAULT_DIR", "DatasetMissing", "data_dir", "read_idx",
    "load_fashion_mnist", "to_tensor", "batches", "calibration_batches", "CLASSES",
    "MEAN", "STD",
]

DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
#: Mean and standard deviation of the training images scaled to 0..1.
MEAN, STD = 0.2860, 0.3530

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetMissing(FileNotFoundError):
    """The Fashion-MNIST files are not where they should be."""


def data_dir() -> Path:
    return Path(os.environ.get("FASHION_MNIST_DIR", DEFAULT_DIR))


def read_idx(path) -> np.ndarray:
    """An idx file (gzipped or not) as a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an idx file (bad magic {raw[:4]!r})")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown idx data type 0x{code:02x}")
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    dtype = np.dtype(_IDX_DTYPES[code])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise ValueError(f"{path}: header says {tuple(dims)} ({expected} bytes) but "
                         f"{len(raw) - offset} bytes follow")
    return np.frombuffer(raw, dtype=dtype, offset=offset).reshape(tuple(dims)).astype(
        dtype.newbyteorder("="))


def _find(directory: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise DatasetMissing(
        f"Fashion-MNIST file {stem}[.gz] not found in {directory}. Install the Debian package "
        f"'{DEBIAN_PACKAGE}' (apt-get install {DEBIAN_PACKAGE}; `make accuracy` or "
        f"`scripts/system-packages.sh accuracy` does it) or set FASHION_MNIST_DIR to a folder "
        f"holding the idx files.")


def load_fashion_mnist(split: str = "train", directory=None) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: uint8 ``(N, 28, 28)`` and uint8 ``(N,)``."""
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    directory = Path(directory) if directory is not None else data_dir()
    img_stem, lab_stem = FILES[split]
    images = read_idx(_find(directory, img_stem))
    labels = read_idx(_find(directory, lab_stem))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"unexpected Fashion-MNIST shapes {images.shape} and {labels.shape}")
    return images, labels


def to_tensor(images: np.ndarray):
    """uint8 ``(N, 28, 28)`` to normalized float32 ``(N, 1, 28, 28)``."""
    from ._torch import torch
    x = (images.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x[:, None, :, :])


def batches(x, y=None, batch_size: int = 256, shuffle: bool = False, generator=None):
    """``(x, y)`` batches (or ``x`` alone) of tensors; shuffled with a torch generator."""
    from ._torch import torch
    n = x.shape[0]
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for i in range(0, n, batch_size):
        idx = order[i:i + batch_size]
        yield (x[idx], y[idx]) if y is not None else x[idx]


def calibration_batches(x, n: int = 2048, seed: int = 0, batch_size: int = 256) -> list:
    """``n`` images drawn at random (seeded) without replacement, as a list of batches."""
    from ._torch import torch
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(x.shape[0], generator=g)[:n]
    return [x[idx[i:i + batch_size]] for i in range(0, len(idx), batch_size)]
