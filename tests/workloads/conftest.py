"""tests/workloads need PyTorch and the Debian Fashion-MNIST files.

Without them these tests fail, loudly but on their own: the torch-dependent modules are not
collected and test_environment.py fails with a message naming what to install, so the rest
of the suite still runs.
"""

import pytest

TORCH_ERROR = None
try:
    import torch  # noqa: F401
except ImportError as exc:                                  # pragma: no cover
    TORCH_ERROR = (
        f"PyTorch is not importable ({exc}). Leanest install: Debian's python3-torch, seen from "
        "the venv through a .pth file: `apt-get install python3-torch` and `echo "
        "/usr/lib/python3/dist-packages > .venv/lib/python3.11/site-packages/"
        "debian-dist-packages.pth` (docs/workloads.md); or `pip install torch` (~5 GB).")

collect_ignore = [] if TORCH_ERROR is None else [
    "test_sparq_torch.py", "test_quant.py", "test_data_and_models.py", "test_report.py"]


@pytest.fixture(scope="session")
def fmnist_test():
    """The Fashion-MNIST test split; a clear failure naming the Debian package if missing."""
    from workloads.data import DatasetMissing, load_fashion_mnist
    try:
        return load_fashion_mnist("test")
    except DatasetMissing as exc:
        pytest.fail(str(exc), pytrace=False)
