"""ResNet family (He et al. 2016) as in torchvision: ResNet-18/50, ResNeXt-50 32x4d, Wide-ResNet-50-2."""

from __future__ import annotations

import torch
from torch import nn


def conv_bn(
    cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, relu: bool = True
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1, groups: int = 1, base_width: int = 64):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, planes, 3, stride), conv_bn(planes, planes, 3, relu=False))
        self.down = conv_bn(cin, planes, 1, stride, relu=False) if stride != 1 or cin != planes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        return torch.relu(self.body(x) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1, groups: int = 1, base_width: int = 64):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        cout = planes * self.expansion
        self.body = nn.Sequential(
            conv_bn(cin, width, 1),
            conv_bn(width, width, 3, stride, groups=groups),  # torchvision puts the stride on the 3x3
            conv_bn(width, cout, 1, relu=False),
        )
        self.down = conv_bn(cin, cout, 1, stride, relu=False) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        return torch.relu(self.body(x) + identity)


class ResNet(nn.Module):
    def __init__(
        self, block, layers: list[int], groups: int = 1, width_per_group: int = 64, num_classes: int = 1000
    ):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1))
        stages, cin = [], 64
        for i, n in enumerate(layers):
            planes = 64 * 2**i
            blocks = []
            for j in range(n):
                blocks.append(block(cin, planes, 2 if (j == 0 and i > 0) else 1, groups, width_per_group))
                cin = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


_CONFIGS = {
    "resnet_18": (BasicBlock, [2, 2, 2, 2], 1, 64),
    "resnet_50": (Bottleneck, [3, 4, 6, 3], 1, 64),
    "resnext_50": (Bottleneck, [3, 4, 6, 3], 32, 4),
    "wide_resnet_50": (Bottleneck, [3, 4, 6, 3], 1, 128),
}


def build(name: str, batch: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    block, layers, groups, width = _CONFIGS[name]
    return ResNet(block, layers, groups, width).eval(), (torch.randn(batch, 3, 224, 224),)
