"""DCGAN generator (Radford et al. 2015): nz=100 latent -> 3x64x64 image with transposed convolutions."""

from __future__ import annotations

import torch
from torch import nn


def up(cin: int, cout: int, stride: int = 2, pad: int = 1) -> list[nn.Module]:
    return [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]


class Generator(nn.Module):
    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3):
        super().__init__()
        self.net = nn.Sequential(
            *up(nz, ngf * 8, 1, 0),  # 4x4
            *up(ngf * 8, ngf * 4),  # 8x8
            *up(ngf * 4, ngf * 2),  # 16x16
            *up(ngf * 2, ngf),  # 32x32
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),  # 64x64
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def build(name: str, batch: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    return Generator().eval(), (torch.randn(batch, 100, 1, 1),)
