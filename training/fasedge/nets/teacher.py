"""Teacher: a ResNet-style CNN (basic blocks, ReLU) with a few million parameters at 80x80."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import torch
from torch import nn

from .common import ConvBNAct


@dataclass
class TeacherConfig:
    """Hyper-parameters of the teacher network (saved in checkpoints and the manifest)."""

    stem: Tuple[int, ...] = (32, 64)  # channels of the stem's 3x3 convolutions
    stem_strides: Tuple[int, ...] = (2, 2)  # their strides (80x80 -> 40x40 -> 20x20)
    widths: Tuple[int, ...] = (64, 128, 224)  # channels of the stages (each stage but the first halves H, W)
    depths: Tuple[int, ...] = (1, 2, 2)  # basic residual blocks per stage
    space_to_depth: int = 1  # fold s x s pixel blocks into channels before the stem (PixelUnshuffle): an input s times larger at the stem's cost
    dropout: float = 0.2  # dropout before the classifier
    num_classes: int = 2  # logits: index 0 attack, index 1 bona fide


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (1x1 projection when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = ConvBNAct(cin, cout, 3, stride)
        self.conv2 = ConvBNAct(cout, cout, 3, 1, act=None)
        self.shortcut = ConvBNAct(cin, cout, 1, stride, act=None) if (stride != 1 or cin != cout) else None
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.act(self.conv2(self.conv1(x)) + identity)


class Teacher(nn.Module):
    pooled_classifier = True  # forward ends fc(dropout(flatten(pool(x)))): the classifier applies to each cell of pool's input (train.PatchTerm)

    def __init__(self, cfg: TeacherConfig = TeacherConfig()):
        super().__init__()
        self.cfg = cfg
        s2d = int(cfg.space_to_depth)
        chans = (3 * s2d * s2d, *cfg.stem)
        self.fold = nn.PixelUnshuffle(s2d) if s2d > 1 else nn.Identity()
        self.stem = nn.Sequential(*[ConvBNAct(cin, cout, 3, st) for cin, cout, st in zip(chans[:-1], chans[1:], cfg.stem_strides)])
        blocks = []
        cin = cfg.stem[-1]
        for i, (w, d) in enumerate(zip(cfg.widths, cfg.depths)):
            for j in range(d):
                blocks.append(BasicBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(cin, cfg.num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.conv2[1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(self.fold(x)))
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))
