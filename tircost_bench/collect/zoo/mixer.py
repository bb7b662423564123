"""MLP-Mixer B/16 (Tolstikhin et al. 2021): token-mixing and channel-mixing MLPs over 16x16 patches."""

from __future__ import annotations

import torch
from torch import nn

from .transformer import MLP


class MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int, token_mlp: int, channel_mlp: int):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.token_mlp, self.channel_mlp = MLP(tokens, token_mlp), MLP(dim, channel_mlp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.ln1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.ln2(x))


class Mixer(nn.Module):
    def __init__(
        self,
        image: int = 224,
        patch: int = 16,
        layers: int = 12,
        dim: int = 768,
        token_mlp: int = 384,
        channel_mlp: int = 3072,
        num_classes: int = 1000,
    ):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, patch, patch)
        tokens = (image // patch) ** 2
        self.blocks = nn.Sequential(*[MixerBlock(tokens, dim, token_mlp, channel_mlp) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x).flatten(2).transpose(1, 2))
        return self.head(self.ln(x).mean(1))


def build(name: str, batch: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    return Mixer().eval(), (torch.randn(batch, 3, 224, 224),)
