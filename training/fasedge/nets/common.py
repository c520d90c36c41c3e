"""Building blocks shared by the networks, and parameter / MAC counting."""
from __future__ import annotations

from typing import Tuple

import torch
from torch import nn


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm2d -> optional activation; foldable into one Conv for export."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: str | None = "relu"):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act == "relu":
            layers.append(nn.ReLU(inplace=True))
        elif act == "prelu":
            layers.append(nn.PReLU(cout))
        elif act is not None:
            raise ValueError(f"unknown activation {act}")
        super().__init__(*layers)


def count_params(model: nn.Module) -> int:
    """Number of parameters (trainable tensors; BatchNorm running statistics excluded)."""
    return int(sum(p.numel() for p in model.parameters()))


def count_macs(model: nn.Module, input_shape: Tuple[int, ...] = (1, 3, 80, 80)) -> int:
    """Multiply-accumulates of Conv2d and Linear layers for one forward pass at ``input_shape``."""
    total = [0]

    def conv_hook(mod: nn.Conv2d, inp, out):
        kh, kw = mod.kernel_size
        total[0] += out.numel() * (mod.in_channels // mod.groups) * kh * kw

    def linear_hook(mod: nn.Linear, inp, out):
        total[0] += out.numel() * mod.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(input_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return int(total[0] // input_shape[0])
