"""PyTorch import and a numpy bridge that works with either PyTorch install.

Two installs are supported (docs/workloads.md compares them):

* PyPI's ``torch`` (2.x), whose numpy bridge works with the venv's numpy 2;
* Debian's ``python3-torch`` (1.13, CPU only) seen from the venv through a
  ``.pth`` file.  It was compiled against numpy 1.x, so with the venv's numpy 2
  ``torch.from_numpy`` and ``Tensor.numpy`` raise "Numpy is not available".

Everything in :mod:`workloads` converts through :func:`to_numpy` and
:func:`from_numpy`, which use the native bridge when it works and otherwise
copy through the buffer protocol (numpy to torch) or the tensor's memory
address (torch to numpy).  Both paths copy nothing more than the native one
would for the data sizes used here, and both are exact.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import warnings

import numpy as np

try:
    import torch
except ImportError as exc:                      # pragma: no cover - exercised by hand
    raise ImportError(
        "workloads needs PyTorch. Leanest install on Debian 12: `apt-get install "
        "python3-torch` plus a .pth file in the venv pointing at /usr/lib/python3/dist-packages "
        "(see docs/workloads.md); or `pip install torch` (CUDA build, ~5 GB)."
    ) from exc

__all__ = ["torch", "to_numpy", "from_numpy", "NATIVE_BRIDGE"]

_NP_OF_TORCH = {
    torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
    torch.int64: np.int64, torch.int32: np.int32, torch.int16: np.int16,
    torch.int8: np.int8, torch.uint8: np.uint8, torch.bool: np.bool_,
}
_TORCH_OF_NP = {np.dtype(v): k for k, v in _NP_OF_TORCH.items()}


def _probe() -> bool:
    """True when torch's own numpy bridge works (it prints a warning when it does not)."""
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return bool(torch.from_numpy(np.arange(3)).sum().item() == 3
                        and torch.arange(3).numpy().sum() == 3)
        except (RuntimeError, TypeError):
            return False


NATIVE_BRIDGE: bool = _probe()


def to_numpy(t) -> np.ndarray:
    """A numpy copy (or view, with the native bridge) of a CPU tensor."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if NATIVE_BRIDGE:
        return t.numpy()
    t = t.contiguous()
    dtype = np.dtype(_NP_OF_TORCH[t.dtype])
    if t.numel() == 0:
        return np.zeros(tuple(t.shape), dtype)
    nbytes = t.numel() * t.element_size()
    buf = (ctypes.c_char * nbytes).from_address(t.data_ptr())
    return np.frombuffer(buf, dtype=dtype).reshape(tuple(t.shape)).copy()


def from_numpy(a) -> torch.Tensor:
    """A tensor holding a copy (or view, with the native bridge) of ``a``."""
    a = np.asarray(a)
    if a.dtype not in _TORCH_OF_NP:
        raise TypeError(f"no torch dtype for numpy dtype {a.dtype}")
    if NATIVE_BRIDGE:
        return torch.from_numpy(np.ascontiguousarray(a))
    dtype = _TORCH_OF_NP[a.dtype]
    if a.size == 0:
        return torch.zeros(a.shape, dtype=dtype)
    flat = np.ascontiguousarray(a).reshape(-1)
    if a.dtype == np.bool_:
        return torch.frombuffer(bytearray(flat.view(np.uint8).tobytes()),
                                dtype=torch.uint8).reshape(a.shape).bool()
    return torch.frombuffer(bytearray(flat.tobytes()), dtype=dtype).reshape(a.shape)
