"""The PyTorch import of :mod:`workloads`, with one line saying how to install it.

The project's venv sees Debian's ``python3-torch`` (1.13, CPU only) through a
``.pth`` file; its numpy (1.26, pinned in pyproject.toml) is the one that build
was compiled for, so ``torch.from_numpy`` and ``Tensor.numpy`` work as usual
(tests/workloads/test_environment.py checks the round trip).
"""

from __future__ import annotations

try:
    import torch
except ImportError as exc:                      # pragma: no cover - exercised by hand
    raise ImportError(
        "workloads needs PyTorch. Leanest install on Debian 12: `apt-get install "
        "python3-torch` plus a .pth file in the venv pointing at /usr/lib/python3/dist-packages "
        "(see docs/workloads.md); or `pip install torch` (CUDA build, ~5 GB)."
    ) from exc

__all__ = ["torch"]
