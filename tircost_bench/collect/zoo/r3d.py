"""R3D-18 (Tran et al. 2018): ResNet-18 with full 3x3x3 convolutions on 16-frame 112x112 clips."""

from __future__ import annotations

import torch
from torch import nn


def conv3d_bn(cin: int, cout: int, k, stride, pad, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv3d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm3d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock3d(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            conv3d_bn(cin, cout, 3, stride, 1), conv3d_bn(cout, cout, 3, 1, 1, relu=False)
        )
        self.down = conv3d_bn(cin, cout, 1, stride, 0, relu=False) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        return torch.relu(self.body(x) + identity)


class R3D18(nn.Module):
    def __init__(self, num_classes: int = 400):
        super().__init__()
        layers: list[nn.Module] = [conv3d_bn(3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3))]
        cin = 64
        for i, c in enumerate([64, 128, 256, 512]):
            layers += [BasicBlock3d(cin, c, 1 if i == 0 else 2), BasicBlock3d(c, c, 1)]
            cin = c
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool3d(self.features(x), 1), 1))


def build(name: str, batch: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    return R3D18().eval(), (torch.randn(batch, 3, 16, 112, 112),)
