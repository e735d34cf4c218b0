"""torchvision's classification CNNs with random weights, for trying the quantizer on
standard architectures (nothing is downloaded: ``weights=None``).

:data:`ZOO` names the models that take a 64 x 64 input (Inception-v3 needs 75 x 75 and the
vision transformers a fixed 224 x 224 grid); :func:`build` makes one with a seeded random
initialisation.
"""

from __future__ import annotations

from .._torch import torch

__all__ = ["ZOO", "ISSUE_TWELVE", "build", "INPUT_SHAPE", "survey", "main"]

INPUT_SHAPE = (3, 64, 64)

#: The twelve CNNs of issue 17, then the others that take a 64 x 64 input.
ISSUE_TWELVE = ("resnet18", "densenet121", "googlenet", "vgg11", "alexnet", "squeezenet1_0",
                "mobilenet_v2", "shufflenet_v2_x1_0", "mnasnet1_0", "resnext50_32x4d",
                "regnet_y_400mf", "efficientnet_b0")
ZOO = ISSUE_TWELVE + ("resnet50", "wide_resnet50_2", "vgg16_bn", "squeezenet1_1",
                      "mobilenet_v3_small", "mobilenet_v3_large", "shufflenet_v2_x0_5",
                      "mnasnet0_5", "regnet_x_400mf", "efficientnet_v2_s", "convnext_tiny",
                      "densenet161")


def build(name: str, seed: int = 0, classes: int = 10):
    """torchvision model ``name``, random init with ``torch.manual_seed(seed)``, eval mode."""
    import torchvision.models as tvm
    if name not in ZOO:
        raise ValueError(f"model must be one of {', '.join(ZOO)}, got {name!r}")
    torch.manual_seed(seed)
    kw = {"weights": None, "num_classes": classes}
    if name == "googlenet":
        kw.update(aux_logits=False, init_weights=True)
    return getattr(tvm, name)(**kw).eval()


def survey(name: str, seed: int = 0, calibration: int = 4, cfg=None) -> dict:
    """One zoo model through ``quantize_model`` (5opt) and ``layer_gemms``: its layers'
    policies, why the fallbacks fell back, and how many layers' integer view reproduces the
    model's own output (to float32 rounding)."""
    import time

    import numpy as np

    from golden.sparq import Config

    from ..quant.gemm import layer_gemms
    from ..quant.quantize import quantize_model
    t0 = time.perf_counter()
    model = build(name, seed)
    gen = torch.Generator().manual_seed(seed + 1)
    calib = [torch.randn(calibration, *INPUT_SHAPE, generator=gen)]
    q = quantize_model(model, cfg or Config.preset(5), calib)
    gemms = layer_gemms(q, torch.randn(1, *INPUT_SHAPE, generator=gen))
    agree = 0
    for g in gemms:
        ref = g.reference()
        agree += bool(np.allclose(g.output, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max()))
    pol = list(q.sparq_policy.values())
    reasons: dict[str, int] = {}
    for p in pol:
        if p.policy != "SPARQ":
            key = f"{p.policy}: {p.reason.split(' (')[0]}"
            reasons[key] = reasons.get(key, 0) + 1
    return {"model": name, "layers": len(pol), "sparq": sum(p.policy == "SPARQ" for p in pol),
            "a8w8_signed": sum(p.policy == "A8W8 signed" for p in pol),
            "fp32": sum(p.policy == "FP32" for p in pol),
            "grouped": sum(g.groups > 1 for g in gemms),
            "depthwise": sum(g.groups > 1 and g.k in (9, 25, 49) and g.n == g.groups
                             for g in gemms),
            "fallbacks": reasons, "agree": agree, "quantized": len(gemms),
            "seconds": round(time.perf_counter() - t0, 1)}


def main(argv=None) -> int:
    """``python -m workloads.models.zoo [NAME ...]``: the survey of :data:`ZOO` as a table."""
    import argparse
    p = argparse.ArgumentParser(prog="python -m workloads.models.zoo",
                                description="torchvision's CNNs through the quantizer")
    p.add_argument("names", nargs="*", help=f"models (default: all {len(ZOO)})")
    a = p.parse_args(argv)
    bad = [n for n in a.names if n not in ZOO]
    if bad:
        p.exit(2, f"{p.prog}: error: unknown models {bad}; choose from {', '.join(ZOO)}\n")
    torch.set_num_threads(1)
    print("| model | Conv2d/Linear | SPARQ | A8W8 signed | FP32 | grouped (depthwise) | "
          "fallbacks, why | integer view = layer output | s |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for name in a.names or ZOO:
        r = survey(name)
        why = "; ".join(f"{k} x{v}" for k, v in r["fallbacks"].items())
        print(f"| {name} | {r['layers']} | {r['sparq']} | {r['a8w8_signed']} | {r['fp32']} | "
              f"{r['grouped']} ({r['depthwise']}) | {why} | {r['agree']}/{r['quantized']} | "
              f"{r['seconds']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
