"""What tests/workloads need from the machine, shared by conftest.py and test_environment.py
(pytest advises against importing a conftest)."""

TORCH_ERROR = None
try:
    import torch  # noqa: F401
except ImportError as exc:                                  # pragma: no cover
    TORCH_ERROR = (
        f"PyTorch is not importable ({exc}). Leanest install: Debian's python3-torch, seen from "
        "the venv through a .pth file: `apt-get install python3-torch` and `echo "
        "/usr/lib/python3/dist-packages > .venv/lib/python3.11/site-packages/"
        "debian-dist-packages.pth` (docs/workloads.md); or `pip install torch` (~5 GB).")

TORCHVISION_ERROR = None
try:
    import torchvision  # noqa: F401
except ImportError as exc:                                  # pragma: no cover
    TORCHVISION_ERROR = (
        f"torchvision is not importable ({exc}): install Debian's python3-torchvision "
        "(`scripts/system-packages.sh accuracy` names it), seen from the venv as python3-torch.")
