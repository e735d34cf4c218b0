"""What tests/workloads need from the machine (no PyTorch import here, so it always runs)."""

import pytest

from tests.workloads.conftest import TORCH_ERROR


def test_pytorch_is_importable():
    if TORCH_ERROR is not None:
        pytest.fail(TORCH_ERROR, pytrace=False)


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
