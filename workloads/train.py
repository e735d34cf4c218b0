"""Train the Fashion-MNIST CNN and its 2:4-pruned version, deterministically.

    python -m workloads.train            # writes workloads/weights/fmnist_cnn{,_2to4}.pt

Single thread, ``torch.manual_seed``, deterministic algorithms and a seeded
shuffle: the same command on the same PyTorch build gives the same weights,
bit for bit.  The pruned model starts from the dense one, keeps the 2 largest
weights of every group of 4 along K in conv2, conv3 and fc (the layers that
SPARQ runs on; conv1 stays dense and FP32, as quantization leaves it intact),
and is fine-tuned with the masks held fixed.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ._torch import torch
from .data import batches, load_fashion_mnist, to_tensor
from .model import SPARQ_LAYERS, FmnistCNN
from .prune import apply_masks, is_2to4, prune_2to4

nn = torch.nn
F = torch.nn.functional

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DENSE_FILE = "fmnist_cnn.pt"
PRUNED_FILE = "fmnist_cnn_2to4.pt"


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


def train(cfg: TrainConfig, x, y, log=None):
    """Returns ``(dense, pruned)`` models trained on tensors ``x`` (N,1,28,28), ``y`` (N,)."""
    set_deterministic(cfg.seed, cfg.threads)
    if cfg.train_images is not None:
        x, y = x[: cfg.train_images], y[: cfg.train_images]
    dense = FmnistCNN()
    if log:
        log(f"dense: {cfg.epochs} epochs on {x.shape[0]} images")
    _fit(dense, x, y, cfg.epochs, cfg.lr, cfg.weight_decay, cfg.batch_size, cfg.seed, log=log)
    pruned = FmnistCNN()
    pruned.load_state_dict(dense.state_dict())
    masks = prune_2to4(pruned, SPARQ_LAYERS)
    if log:
        log(f"2:4-pruned ({', '.join(SPARQ_LAYERS)}): {cfg.prune_epochs} fine-tune epochs")
    _fit(pruned, x, y, cfg.prune_epochs, cfg.prune_lr, cfg.weight_decay, cfg.batch_size,
         cfg.seed + 1, masks=masks, log=log)
    mods = dict(pruned.named_modules())
    assert all(is_2to4(mods[n].weight) for n in SPARQ_LAYERS)
    return dense, pruned


def save(model, path: Path, meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    # meta as a JSON string: old torch's weights-only unpickler refuses floats
    torch.save({"state_dict": state, "meta_json": json.dumps(meta, sort_keys=True)}, path)


def load(path=None, pruned: bool = False):
    """The committed model (``pruned=True``: the 2:4 one), in eval mode."""
    path = Path(path) if path is not None else WEIGHTS_DIR / (PRUNED_FILE if pruned else DENSE_FILE)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:                                   # a torch without weights_only
        blob = torch.load(path, map_location="cpu")
    model = FmnistCNN()
    model.load_state_dict(blob["state_dict"])
    model.meta = json.loads(blob.get("meta_json", "{}"))
    return model.eval()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = TrainConfig()
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--prune-epochs", type=int, default=d.prune_epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--prune-lr", type=float, default=d.prune_lr)
    p.add_argument("--train-images", type=int, default=None)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--out-dir", type=Path, default=WEIGHTS_DIR)
    a = p.parse_args(argv)
    cfg = TrainConfig(seed=a.seed, epochs=a.epochs, prune_epochs=a.prune_epochs,
                      batch_size=a.batch_size, lr=a.lr, prune_lr=a.prune_lr,
                      train_images=a.train_images, threads=a.threads)
    t0 = time.time()
    xtr, ytr = load_fashion_mnist("train")
    xte, yte = load_fashion_mnist("test")
    from ._torch import from_numpy
    x, y = to_tensor(xtr), from_numpy(ytr.astype("int64"))
    xt, yt = to_tensor(xte), from_numpy(yte.astype("int64"))
    dense, pruned = train(cfg, x, y, log=print)
    acc_d, acc_p = evaluate(dense, xt, yt), evaluate(pruned, xt, yt)
    elapsed = time.time() - t0
    meta = {"train": asdict(cfg), "torch": torch.__version__}
    save(dense, a.out_dir / DENSE_FILE, {**meta, "kind": "dense", "test_accuracy": acc_d})
    save(pruned, a.out_dir / PRUNED_FILE, {**meta, "kind": "2:4-pruned", "test_accuracy": acc_p})
    summary = {"dense_test_accuracy": acc_d, "pruned_test_accuracy": acc_p,
               "seconds": round(elapsed, 1), "torch": torch.__version__, "config": asdict(cfg)}
    print(json.dumps(summary, indent=1))
    print(f"wrote {a.out_dir / DENSE_FILE} and {a.out_dir / PRUNED_FILE} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
