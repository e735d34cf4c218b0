"""SPARQ on real CNN layers: PyTorch post-training quantization (A8W8 + SPARQ, uniform
baselines, 2:4 sparse-tensor-core pairing), bit-exact with :mod:`golden.sparq`, the integer
view of every quantized layer, three Fashion-MNIST networks and their accuracy report.

Subpackages, one concern each (docs/workloads.md):

* :mod:`workloads.quant`: the quantizer (calibration, policy, SPARQ on torch, 2:4 pruning,
  the integer view, GEMM shapes of any model);
* :mod:`workloads.models`: the networks, their training and weights, torchvision's zoo;
* :mod:`workloads.accuracy`: evaluation, statistics and ``reports/accuracy.*``;
* :mod:`workloads.layers`: the networks' real layers through the emitted RTL;
* :mod:`workloads.power`: operand streams for the gate-level power flow;
* :mod:`workloads.data` (Fashion-MNIST) and :mod:`workloads.progress` (progress bars), shared.

The names below are imported on first use, so that ``workloads.data`` works without PyTorch.
"""

import importlib

_EXPORTS = {
    "CalibrationStats": "quant.quantize", "QuantConv2d": "quant.quantize",
    "QuantLinear": "quant.quantize", "calibrate": "quant.quantize",
    "quantize_model": "quant.quantize", "quantized_layers": "quant.quantize",
    "LayerPolicy": "quant.quantize", "layer_policies": "quant.quantize",
    "LayerGemm": "quant.gemm", "layer_gemms": "quant.gemm",
    "GemmShape": "quant.shapes", "gemm_shapes": "quant.shapes",
    "sparq_quantize": "quant.sparq_torch", "sparq_quantize_by_rule": "quant.sparq_torch",
    "stc_expand": "quant.sparq_torch",
    "evaluate_config": "accuracy.evaluate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'workloads' has no attribute {name!r}")
