"""The paper's networks on real array sizes (``python -m workloads.networks``, ``make networks``).

* :mod:`.catalog`: the networks (torchvision definitions, random weights) and their GEMMs;
* :mod:`.arrays`: the arrays, a layer's mapping (``verif.runner.plan_gemm``) and the split of
  its cycles (compute, tile fill, K padding, non-SPARQ layers, drain-bound, stream fill);
* :mod:`.evaluate`: a network on an array, layers back to back, and the speedups;
* :mod:`.energy`: energy per inference on the 128x128 SA from ``reports/power.json``;
* :mod:`.rtl`: sampled tiles of every distinct layer shape, and whole layers, through the
  emitted Verilog;
* :mod:`.report`: ``reports/networks.{md,json,png}``.

See docs/networks.md.
"""
