"""A MiniFASNetV2-class peer written from the published description (MiniVision's Silent-Face
anti-spoofing: MobileFaceNet-style depthwise-separable residual blocks, PReLU, a 5x5 global
depthwise convolution, 80x80 input, ~0.43 M parameters, ~0.08 G MACs). No code or weights of the
original are used; channel widths are chosen to land in the same size class."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import torch
from torch import nn

from .common import ConvBNAct


@dataclass
class MiniFASNetV2Config:
    """Hyper-parameters of the MiniFASNetV2-class peer."""

    stem: int = 32  # stride-2 3x3 conv (80 -> 40) followed by a 3x3 depthwise conv
    # stages as (expanded channels of the down-sampling block, out channels, residual blocks, expanded channels inside residual blocks)
    stages: Tuple[Tuple[int, int, int, int], ...] = ((96, 64, 4, 96), (144, 96, 6, 128), (192, 112, 2, 128))
    embedding: int = 128  # embedding size after the global depthwise conv
    head: int = 448  # 1x1 conv channels before the 5x5 global depthwise conv
    dropout: float = 0.2  # dropout before the classifier
    num_classes: int = 2  # logits: index 0 attack, index 1 bona fide


class DepthWise(nn.Module):
    """1x1 expand (PReLU) -> 3x3 depthwise (PReLU, stride) -> 1x1 linear project; residual if stride 1."""

    def __init__(self, cin: int, cout: int, mid: int, stride: int, residual: bool):
        super().__init__()
        self.body = nn.Sequential(
            ConvBNAct(cin, mid, 1, act="prelu"),
            ConvBNAct(mid, mid, 3, stride, groups=mid, act="prelu"),
            ConvBNAct(mid, cout, 1, act=None),
        )
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class MiniFASNetV2(nn.Module):
    def __init__(self, cfg: MiniFASNetV2Config = MiniFASNetV2Config()):
        super().__init__()
        self.cfg = cfg
        self.stem = nn.Sequential(ConvBNAct(3, cfg.stem, 3, 2, act="prelu"), ConvBNAct(cfg.stem, cfg.stem, 3, 1, groups=cfg.stem, act="prelu"))
        layers = []
        cin = cfg.stem
        for down_mid, cout, n, mid in cfg.stages:
            layers.append(DepthWise(cin, cout, down_mid, 2, False))
            for _ in range(n):
                layers.append(DepthWise(cout, cout, mid, 1, True))
            cin = cout
        self.blocks = nn.Sequential(*layers)
        self.head = ConvBNAct(cin, cfg.head, 1, act="prelu")
        self.gdc = nn.Sequential(nn.Conv2d(cfg.head, cfg.head, 5, 1, 0, groups=cfg.head, bias=False), nn.BatchNorm2d(cfg.head))  # global depthwise 5x5 -> 1x1
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(cfg.head, cfg.embedding, bias=False)
        self.bn = nn.BatchNorm1d(cfg.embedding)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(cfg.embedding, cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.blocks(self.stem(x)))
        x = torch.flatten(self.pool(self.gdc(x)), 1)
        return self.fc(self.dropout(self.bn(self.linear(x))))
