"""The quantizer: SPARQ post-training quantization of a PyTorch model, bit-exact with
:mod:`golden.sparq`, and the integer view of its layers.

* :mod:`.quantize`: calibration, the quantized layers and :func:`quantize_model`, with the
  per-layer policy (SPARQ, A8W8, A8W8 signed, FP32 and why);
* :mod:`.gemm`: :func:`layer_gemms`, every quantized layer as an integer GEMM;
* :mod:`.shapes`: :func:`gemm_shapes`, the GEMMs of any model from an example input shape;
* :mod:`.sparq_torch`: the SPARQ approximation on torch tensors (dense and STC pairing);
* :mod:`.prune`: 2:4 magnitude pruning along K.
"""
