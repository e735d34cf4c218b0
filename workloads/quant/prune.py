"""2:4 structured weight pruning for the sparse-tensor-core case.

Groups of 4 run along the reduction axis K in the order the hardware sees it:
for a convolution, K is im2col order with the input channels innermost per
kernel tap, so a group is 4 adjacent input channels at one tap (when the channel
count is a multiple of 4); for a Linear layer, 4 adjacent inputs.  In each group
the 2 weights of largest magnitude are kept (the lower index wins a tie), as
NVIDIA's ASP does; then a short fine-tune with the masks held fixed recovers
accuracy (:func:`apply_masks` after every optimizer step).
"""

from __future__ import annotations

from .._torch import torch
from .quantize import weight_matrix

__all__ = ["mask_2to4", "prune_2to4", "apply_masks", "is_2to4"]


def _from_matrix(m, like):
    """Inverse of :func:`workloads.quant.weight_matrix`."""
    if like.dim() == 4:
        o, c, kh, kw = like.shape
        return m.reshape(o, kh, kw, c).permute(0, 3, 1, 2)
    return m.reshape(like.shape)


def mask_2to4(weight: torch.Tensor) -> torch.Tensor:
    """Boolean mask keeping the 2 largest-magnitude weights of every group of 4 along K."""
    m = weight_matrix(weight.detach()).abs()
    o, k = m.shape
    pad = -k % 4
    if pad:
        m = torch.cat([m, m.new_zeros(o, pad)], dim=1)
    g = m.reshape(o, -1, 4)
    # larger magnitude first; the stable sort keeps the lower index first on ties
    _, order = torch.sort(-g, dim=-1, stable=True)
    keep = torch.zeros_like(g, dtype=torch.bool)
    keep.scatter_(-1, order[..., :2], True)
    keep = keep.reshape(o, -1)[:, :k]
    return _from_matrix(keep, weight)


def is_2to4(weight: torch.Tensor) -> bool:
    m = weight_matrix(weight.detach()) != 0
    o, k = m.shape
    if k % 4:
        m = torch.cat([m, m.new_zeros(o, 4 - k % 4)], dim=1)
    return bool((m.reshape(o, -1, 4).sum(-1) <= 2).all())


@torch.no_grad()
def prune_2to4(model, names) -> dict:
    """Prune the named Conv2d/Linear layers in place; returns ``{name: mask}``."""
    mods = dict(model.named_modules())
    masks = {}
    for name in names:
        w = mods[name].weight
        masks[name] = mask_2to4(w)
        w.mul_(masks[name])
    return masks


@torch.no_grad()
def apply_masks(model, masks) -> None:
    mods = dict(model.named_modules())
    for name, mask in masks.items():
        mods[name].weight.mul_(mask)
