"""EfficientNet-B0 (Tan & Le 2019): MBConv blocks with SiLU and sigmoid-gated squeeze-excite."""

from __future__ import annotations

import torch
from torch import nn

from .mobilenet import InvertedResidual, SqueezeExcite, conv_bn_act

# expansion, kernel, stride, in, out, repeats (torchvision efficientnet_b0)
_B0 = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
]


class EfficientNetB0(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        layers: list[nn.Module] = [conv_bn_act(3, 32, 3, 2, act=nn.SiLU)]
        for t, k, s, cin, cout, n in _B0:
            for i in range(n):
                c = cin if i == 0 else cout
                se = SqueezeExcite(c * t, max(1, c // 4), act=nn.SiLU, gate=nn.Sigmoid)
                layers.append(InvertedResidual(c, c * t, cout, k, s if i == 0 else 1, nn.SiLU, se))
        layers.append(conv_bn_act(320, 1280, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


def build(name: str, batch: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    return EfficientNetB0().eval(), (torch.randn(batch, 3, 224, 224),)
