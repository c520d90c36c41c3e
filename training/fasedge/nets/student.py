"""Student: a narrow residual CNN of dense 3x3 convolutions for 80x80 inputs, 0.29 M parameters,
17 M MACs (MiniFASNetV2 class: 0.43 M parameters, 0.08 G MACs), ReLU activations.

The widths are set by the edge's latency budget: the int8 run is the largest share of a warm
request in workerd, and its time follows the MACs (onnxruntime-web wasm, one thread, p50: stem 24,
stages 32/64/112, head 256, 28.4 M MACs, 1.60 ms; these widths, 17.0 M MACs, 1.23 ms; see
training/README.md).

Dense 3x3 convolutions rather than depthwise-separable blocks: in onnxruntime-web's wasm build
int8 QLinearConv is fast for dense 3x3 / 1x1 kernels but depthwise int8 kernels were measured slower
than their fp32 counterparts, so a depthwise student gains little from int8 at the edge.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import torch
from torch import nn

from .common import ConvBNAct


@dataclass
class StudentConfig:
    """Hyper-parameters of the student network (saved in checkpoints and the manifest)."""

    stem: int = 16  # channels of the stride-2 3x3 stem (80x80 -> 40x40)
    # stages as (out channels, residual blocks, stride): a strided 3x3 conv, then `blocks` basic blocks
    stages: Tuple[Tuple[int, int, int], ...] = ((24, 1, 2), (48, 1, 2), (96, 1, 2))
    head: int = 192  # channels of the final 1x1 convolution before global pooling
    dropout: float = 0.1  # dropout before the classifier
    num_classes: int = 2  # logits: index 0 attack, index 1 bona fide
    fourier_aux: bool = False  # train-time auxiliary head predicting the input's log-magnitude spectrum (not exported)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity shortcut."""

    def __init__(self, c: int):
        super().__init__()
        self.conv1 = ConvBNAct(c, c, 3)
        self.conv2 = ConvBNAct(c, c, 3, act=None)
        self.act = nn.ReLU(inplace=True)
        self.residual = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv2(self.conv1(x)) + x)


class FourierHead(nn.Module):
    """Auxiliary head (MiniFASNet's FT branch): predicts a 10x10 log-magnitude spectrum map."""

    def __init__(self, cin: int):
        super().__init__()
        self.net = nn.Sequential(ConvBNAct(cin, 64, 3), ConvBNAct(64, 32, 3), nn.Conv2d(32, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Student(nn.Module):
    pooled_classifier = True  # forward ends fc(dropout(flatten(pool(x)))): the classifier applies to each cell of pool's input (train.PatchTerm)

    def __init__(self, cfg: StudentConfig = StudentConfig()):
        super().__init__()
        self.cfg = cfg
        self.stem = ConvBNAct(3, cfg.stem, 3, 2)
        stages = []
        cin = cfg.stem
        self.aux_stage, aux_ch = -1, 0
        size = 40
        for k, (c, n, s) in enumerate(cfg.stages):
            layers = [ConvBNAct(cin, c, 3, s)] + [BasicBlock(c) for _ in range(n)]
            stages.append(nn.Sequential(*layers))
            size //= s
            cin = c
            if size == 10 and self.aux_stage < 0:
                self.aux_stage, aux_ch = k, c
        self.stages = nn.Sequential(*stages)
        self.head = ConvBNAct(cin, cfg.head, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(cfg.head, cfg.num_classes)
        self.fourier = FourierHead(aux_ch) if cfg.fourier_aux and self.aux_stage >= 0 else None
        self._aux_out: torch.Tensor | None = None
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.conv2[1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        if self.fourier is not None and self.training:
            for k, st in enumerate(self.stages):
                x = st(x)
                if k == self.aux_stage:
                    self._aux_out = self.fourier(x)
        else:
            x = self.stages(x)
        x = self.head(x)
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))

    def pop_aux(self) -> torch.Tensor | None:
        """The auxiliary spectrum prediction of the last training forward pass (then cleared)."""
        out, self._aux_out = self._aux_out, None
        return out
