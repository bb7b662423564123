"""Inception-v3 (Szegedy et al. 2016) at 299x299, torchvision layout without the auxiliary classifier."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv(cin: int, cout: int, k=1, stride: int = 1, pad=0) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, pad, bias=False),
        nn.BatchNorm2d(cout, eps=0.001),
        nn.ReLU(inplace=True),
    )


def chain(*specs) -> nn.Sequential:
    """A branch: one conv per (cin, cout, kernel, stride, pad) spec."""
    return nn.Sequential(*[conv(*s) for s in specs])


class PoolBranch(nn.Module):
    """3x3 average pool (stride 1) followed by a 1x1 conv."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = conv(cin, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.avg_pool2d(x, 3, 1, 1))


class MaxPoolBranch(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(x, 3, 2)


class Mixed(nn.Module):
    """Runs branches in parallel and concatenates on channels; a branch may itself split (InceptionE)."""

    def __init__(self, *branches: nn.Module):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


class Split(nn.Module):
    """stem, then parallel (1x3) and (3x1) convs concatenated: InceptionE's expanded filter bank."""

    def __init__(self, stem: nn.Module, c: int, cout: int = 384):
        super().__init__()
        self.stem = stem
        self.a, self.b = conv(c, cout, (1, 3), 1, (0, 1)), conv(c, cout, (3, 1), 1, (1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.stem(x)
        return torch.cat([self.a(s), self.b(s)], 1)


def inception_a(cin: int, pool: int) -> Mixed:
    return Mixed(
        chain((cin, 64)),
        chain((cin, 48), (48, 64, 5, 1, 2)),
        chain((cin, 64), (64, 96, 3, 1, 1), (96, 96, 3, 1, 1)),
        PoolBranch(cin, pool),
    )


def inception_b(cin: int) -> Mixed:
    return Mixed(
        chain((cin, 384, 3, 2)), chain((cin, 64), (64, 96, 3, 1, 1), (96, 96, 3, 2)), MaxPoolBranch()
    )


def inception_c(cin: int, c7: int) -> Mixed:
    r, c = (1, 7), (7, 1)
    pr, pc = (0, 3), (3, 0)
    return Mixed(
        chain((cin, 192)),
        chain((cin, c7), (c7, c7, r, 1, pr), (c7, 192, c, 1, pc)),
        chain((cin, c7), (c7, c7, c, 1, pc), (c7, c7, r, 1, pr), (c7, c7, c, 1, pc), (c7, 192, r, 1, pr)),
        PoolBranch(cin, 192),
    )


def inception_d(cin: int) -> Mixed:
    return Mixed(
        chain((cin, 192), (192, 320, 3, 2)),
        chain((cin, 192), (192, 192, (1, 7), 1, (0, 3)), (192, 192, (7, 1), 1, (3, 0)), (192, 192, 3, 2)),
        MaxPoolBranch(),
    )


def inception_e(cin: int) -> Mixed:
    return Mixed(
        chain((cin, 320)),
        Split(chain((cin, 384)), 384),
        Split(chain((cin, 448), (448, 384, 3, 1, 1)), 384),
        PoolBranch(cin, 192),
    )


class InceptionV3(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.features = nn.Sequential(
            conv(3, 32, 3, 2),
            conv(32, 32, 3),
            conv(32, 64, 3, 1, 1),
            nn.MaxPool2d(3, 2),
            conv(64, 80, 1),
            conv(80, 192, 3),
            nn.MaxPool2d(3, 2),
            inception_a(192, 32),
            inception_a(256, 64),
            inception_a(288, 64),
            inception_b(288),
            inception_c(768, 128),
            inception_c(768, 160),
            inception_c(768, 160),
            inception_c(768, 192),
            inception_d(768),
            inception_e(1280),
            inception_e(2048),
        )
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def build(name: str, batch: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    return InceptionV3().eval(), (torch.randn(batch, 3, 299, 299),)
