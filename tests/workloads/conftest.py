"""tests/workloads need PyTorch and the Debian Fashion-MNIST files.

Without them these tests fail, loudly but on their own: the torch-dependent modules are not
collected and test_environment.py fails with a message naming what to install, so the rest
of the suite still runs.
"""

import pytest

from tests.workloads.requirements import TORCH_ERROR

collect_ignore = [] if TORCH_ERROR is None else [
    "test_sparq_torch.py", "test_quant.py", "test_data_and_models.py", "test_report.py",
    "test_layers.py", "test_grouped.py", "test_signed.py", "test_zoo.py", "test_shapes.py",
    "test_evaluate.py", "test_progress.py"]


@pytest.fixture(scope="session")
def fmnist_test():
    """The Fashion-MNIST test split; a clear failure naming the Debian package if missing."""
    from workloads.data import DatasetMissing, load_fashion_mnist
    try:
        return load_fashion_mnist("test")
    except DatasetMissing as exc:
        pytest.fail(str(exc), pytrace=False)
