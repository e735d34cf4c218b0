"""What tests/workloads need from the machine (no PyTorch import at module level, so it always
runs and says what to install)."""

import numpy as np
import pytest

from tests.workloads.requirements import TORCH_ERROR, TORCHVISION_ERROR


def test_pytorch_is_importable():
    if TORCH_ERROR is not None:
        pytest.fail(TORCH_ERROR, pytrace=False)


def test_torchvision_is_importable():
    if TORCHVISION_ERROR is not None:
        pytest.fail(TORCHVISION_ERROR, pytrace=False)


def test_torch_and_numpy_round_trip():
    """The venv's numpy is the one Debian's torch was built for: the native bridge works."""
    if TORCH_ERROR is not None:
        pytest.fail(TORCH_ERROR, pytrace=False)
    import torch
    for dt in (np.float32, np.float64, np.int64, np.int16, np.uint8, np.bool_):
        a = (np.arange(30).reshape(2, 3, 5) % 4).astype(dt)
        t = torch.from_numpy(a)
        assert tuple(t.shape) == a.shape
        assert np.shares_memory(t.numpy(), a)            # a view both ways, no copy
        np.testing.assert_array_equal(t.numpy(), a)
        np.testing.assert_array_equal(torch.as_tensor(a).numpy(), a)
    t = torch.from_numpy(np.array([1.5, -2.0], np.float32))
    t.mul_(2)                                            # shared memory: numpy sees it
    np.testing.assert_array_equal(t.numpy(), [3.0, -4.0])
    np.testing.assert_array_equal(torch.arange(10)[::3].numpy(), [0, 3, 6, 9])


def test_debian_fashion_mnist_is_installed():
    from workloads.data import DEBIAN_PACKAGE, FILES, data_dir
    folder = data_dir()
    missing = [stem for pair in FILES.values() for stem in pair
               if not ((folder / (stem + ".gz")).is_file() or (folder / stem).is_file())]
    if missing:
        pytest.fail(f"Fashion-MNIST files {missing} are missing from {folder}: install the Debian "
                    f"package '{DEBIAN_PACKAGE}' (apt-get install {DEBIAN_PACKAGE}; "
                    f"`scripts/system-packages.sh accuracy` does it) or set FASHION_MNIST_DIR.",
                    pytrace=False)
