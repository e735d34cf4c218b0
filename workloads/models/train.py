"""Train the Fashion-MNIST networks and their 2:4-pruned versions, deterministically.

    python -m workloads.train                  # all three: workloads/weights/fmnist_*.pt
    python -m workloads.train --model resnet   # one of cnn, resnet, mobilenet

Single thread, ``torch.manual_seed``, deterministic algorithms and a seeded
shuffle: the same command on the same PyTorch build gives the same weights,
bit for bit.  The pruned model starts from the dense one, keeps the 2 largest
weights of every group of 4 along K in every layer that quantization touches
(all Conv2d and Linear layers but the first, which stays dense and FP32 as
quantization leaves it intact), and is fine-tuned with the masks held fixed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .._torch import torch
from ..data import batches, load_fashion_mnist, to_tensor
from ..quant.prune import apply_masks, is_2to4, prune_2to4
from . import MODELS, spec

__all__ = ["TrainConfig", "WEIGHTS_DIR", "DENSE_FILE", "PRUNED_FILE", "train", "load", "save",
           "evaluate", "prunable_layers", "weight_path", "main"]

nn = torch.nn
F = torch.nn.functional

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DENSE_FILE = MODELS["cnn"].dense_file
PRUNED_FILE = MODELS["cnn"].pruned_file


@dataclass
class TrainConfig:
    seed: int = 0
    epochs: int = 3
    prune_epochs: int = 1
    batch_size: int = 256
    lr: float = 2e-3
    prune_lr: float = 5e-4
    weight_decay: float = 1e-4
    train_images: int | None = None      # None: all 60,000
    threads: int = 1


def set_deterministic(seed: int, threads: int = 1) -> None:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def _fit(model, x, y, epochs, lr, wd, batch_size, seed, masks=None, log=None):
    """Adam with a cosine learning-rate decay to zero; ``masks`` held fixed."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
    steps = epochs * math.ceil(x.shape[0] / batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        total, n = 0.0, 0
        for xb, yb in batches(x, y, batch_size, shuffle=True, generator=gen):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            if masks:
                apply_masks(model, masks)
            total += loss.item() * xb.shape[0]
            n += xb.shape[0]
        if log:
            log(f"  epoch {epoch + 1}/{epochs}: loss {total / n:.4f}")
    model.eval()
    return model


@torch.no_grad()
def evaluate(model, x, y, batch_size: int = 1000) -> float:
    model.eval()
    correct = sum(int((model(xb).argmax(1) == yb).sum()) for xb, yb in batches(x, y, batch_size))
    return correct / x.shape[0]


@torch.no_grad()
def prunable_layers(model, shape=(1, 1, 28, 28)) -> list[str]:
    """The Conv2d and Linear layers that quantization touches: all but the first the forward
    pass runs (the first stays dense, FP32), in forward order."""
    order: list[str] = []
    names = {m: n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}
    hooks = [m.register_forward_pre_hook(
        lambda mod, _: order.append(names[mod]) if names[mod] not in order else None)
        for m in names]
    was = model.training
    try:
        model.eval()
        model(torch.zeros(shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
    return order[1:]


def train(cfg: TrainConfig, x, y, log=None, model: str = "cnn"):
    """Returns ``(dense, pruned)`` models trained on tensors ``x`` (N,1,28,28), ``y`` (N,)."""
    s = spec(model)
    set_deterministic(cfg.seed, cfg.threads)
    if cfg.train_images is not None:
        x, y = x[: cfg.train_images], y[: cfg.train_images]
    dense = s.build()
    if log:
        log(f"{model} dense: {cfg.epochs} epochs on {x.shape[0]} images")
    _fit(dense, x, y, cfg.epochs, cfg.lr, cfg.weight_decay, cfg.batch_size, cfg.seed, log=log)
    pruned = s.build()
    pruned.load_state_dict(dense.state_dict())
    names = prunable_layers(pruned)
    masks = prune_2to4(pruned, names)
    if log:
        log(f"{model} 2:4-pruned ({len(names)} layers): {cfg.prune_epochs} fine-tune epochs")
    _fit(pruned, x, y, cfg.prune_epochs, cfg.prune_lr, cfg.weight_decay, cfg.batch_size,
         cfg.seed + 1, masks=masks, log=log)
    mods = dict(pruned.named_modules())
    assert all(is_2to4(mods[n].weight) for n in names)
    return dense, pruned


def save(model, path: Path, meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    # meta as a JSON string: old torch's weights-only unpickler refuses floats
    torch.save({"state_dict": state, "meta_json": json.dumps(meta, sort_keys=True)}, path)


def weight_path(model: str = "cnn", pruned: bool = False) -> Path:
    s = spec(model)
    return WEIGHTS_DIR / (s.pruned_file if pruned else s.dense_file)


def load(path=None, pruned: bool = False, model: str = "cnn"):
    """The committed network ``model`` (``pruned=True``: the 2:4 one), in eval mode."""
    path = Path(path) if path is not None else weight_path(model, pruned)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:                                   # a torch without weights_only
        blob = torch.load(path, map_location="cpu")
    model = spec(model).build()
    model.load_state_dict(blob["state_dict"])
    model.meta = json.loads(blob.get("meta_json", "{}"))
    return model.eval()


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv=None) -> None:
    p = _Parser(prog="python -m workloads.train", description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = TrainConfig()
    p.add_argument("--model", action="append", choices=list(MODELS),
                   help="the network to train (repeatable; default: all three)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--epochs", type=int, default=None,
                   help="dense epochs (default: the model's, " + ", ".join(
                       f"{m.name} {m.epochs}" for m in MODELS.values()) + ")")
    p.add_argument("--prune-epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--prune-lr", type=float, default=d.prune_lr)
    p.add_argument("--train-images", type=int, default=None)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--out-dir", type=Path, default=WEIGHTS_DIR)
    a = p.parse_args(argv)
    for v, what in ((a.epochs, "--epochs"), (a.prune_epochs, "--prune-epochs"),
                    (a.batch_size, "--batch-size"), (a.threads, "--threads"),
                    (a.train_images, "--train-images")):
        if v is not None and v < (0 if what.endswith("epochs") else 1):
            p.error(f"{what} must be at least {0 if what.endswith('epochs') else 1}, got {v}")
    xtr, ytr = load_fashion_mnist("train")
    xte, yte = load_fashion_mnist("test")
    x, y = to_tensor(xtr), torch.from_numpy(ytr.astype("int64"))
    xt, yt = to_tensor(xte), torch.from_numpy(yte.astype("int64"))
    for name in a.model or list(MODELS):
        s = spec(name)
        cfg = TrainConfig(seed=a.seed, epochs=s.epochs if a.epochs is None else a.epochs,
                          prune_epochs=s.prune_epochs if a.prune_epochs is None
                          else a.prune_epochs,
                          batch_size=a.batch_size, lr=a.lr, prune_lr=a.prune_lr,
                          train_images=a.train_images, threads=a.threads)
        t0 = time.time()
        dense, pruned = train(cfg, x, y, log=print, model=name)
        acc_d, acc_p = evaluate(dense, xt, yt), evaluate(pruned, xt, yt)
        elapsed = time.time() - t0
        meta = {"train": asdict(cfg), "torch": torch.__version__}
        out_d, out_p = a.out_dir / s.dense_file, a.out_dir / s.pruned_file
        save(dense, out_d, {**meta, "kind": "dense", "test_accuracy": acc_d})
        save(pruned, out_p, {**meta, "kind": "2:4-pruned", "test_accuracy": acc_p})
        summary = {"model": name, "dense_test_accuracy": acc_d, "pruned_test_accuracy": acc_p,
                   "seconds": round(elapsed, 1), "torch": torch.__version__,
                   "config": asdict(cfg),
                   "sha256": {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
                              for f in (out_d, out_p)}}
        print(json.dumps(summary, indent=1), flush=True)
        print(f"wrote {out_d} and {out_p} in {elapsed:.0f} s", flush=True)


if __name__ == "__main__":
    main()
