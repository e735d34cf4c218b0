"""tests/workloads need PyTorch and the Debian Fashion-MNIST files.

Without them these tests fail, loudly but on their own: the torch-dependent modules are not
collected and test_environment.py fails with a message naming what to install, so the rest
of the suite still runs.
"""

from pathlib import Path

import pytest

from tests.workloads.requirements import TORCH_ERROR

# Every test module but test_environment.py imports torch (a new one is covered too).
collect_ignore = [] if TORCH_ERROR is None else sorted(
    p.name for p in Path(__file__).parent.glob("test_*.py") if p.name != "test_environment.py")


@pytest.fixture(scope="session")
def fmnist_test():
    """The Fashion-MNIST test split; a clear failure naming the Debian package if missing."""
    from workloads.data import DatasetMissing, load_fashion_mnist
    try:
        return load_fashion_mnist("test")
    except DatasetMissing as exc:
        pytest.fail(str(exc), pytrace=False)
