"""GEMMs on the emitted arrays: the plan (tiling and formulas), port words, the compiled harness.

The public entry points are in :mod:`verif.runner` (``run_gemm``, ``plan_gemm``).
"""
