"""SPARQ on real CNN layers: PyTorch post-training quantization (A8W8 + SPARQ, uniform
baselines, 2:4 sparse-tensor-core pairing), bit-exact with :mod:`golden.sparq`, the integer
view of every quantized layer, a small Fashion-MNIST CNN and its accuracy report.

See docs/workloads.md.  The names below are imported on first use, so that
``workloads.data`` works without PyTorch.
"""

import importlib

_EXPORTS = {
    "CalibrationStats": "quant", "LayerGemm": "quant", "QuantConv2d": "quant",
    "QuantLinear": "quant", "calibrate": "quant", "layer_gemms": "quant",
    "quantize_model": "quant", "quantized_layers": "quant",
    "sparq_quantize": "sparq_torch", "sparq_quantize_by_rule": "sparq_torch",
    "stc_expand": "sparq_torch",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'workloads' has no attribute {name!r}")
