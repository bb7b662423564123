"""Transformers: BERT (post-norm encoder), ViT-B/16 and GPT-2 small (pre-norm, GPT-2 causal).

Attention is written with plain matmul/softmax ops instead of nn.MultiheadAttention or
F.scaled_dot_product_attention, so the relax torch frontend sees ordinary matmuls (the batch-matmul
tasks TenSet has) rather than one fused attention op.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class MLP(nn.Sequential):
    def __init__(self, dim: int, hidden: int, act: nn.Module | None = None):
        super().__init__(
            nn.Linear(dim, hidden), act if act is not None else nn.GELU(), nn.Linear(hidden, dim)
        )


class Attention(nn.Module):
    """Multi-head self-attention; fused_qkv mirrors GPT-2/ViT (one 3*dim projection) vs BERT (three)."""

    def __init__(self, dim: int, heads: int, fused_qkv: bool = False, causal_len: int = 0):
        super().__init__()
        self.heads, self.scale = heads, 1.0 / math.sqrt(dim // heads)
        self.qkv = nn.Linear(dim, 3 * dim) if fused_qkv else None
        self.q, self.k, self.v = (None, None, None) if fused_qkv else (nn.Linear(dim, dim) for _ in range(3))
        self.out = nn.Linear(dim, dim)
        if causal_len:  # additive mask: 0 on and below the diagonal, a large negative number above
            mask = torch.full((causal_len, causal_len), -1e9).triu(1)
            self.register_buffer("mask", mask, persistent=False)
        else:
            self.mask = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        if self.qkv is not None:
            q, k, v = self.qkv(x).split(c, dim=-1)
        else:
            q, k, v = self.q(x), self.k(x), self.v(x)
        q, k, v = (y.reshape(b, t, self.heads, c // self.heads).transpose(1, 2) for y in (q, k, v))
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        if self.mask is not None:
            scores = scores + self.mask[:t, :t]
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(
        self,
        dim: int,
        heads: int,
        mlp: int,
        pre_norm: bool,
        eps: float = 1e-5,
        fused_qkv: bool = False,
        causal_len: int = 0,
        act: nn.Module | None = None,
    ):
        super().__init__()
        self.pre_norm = pre_norm
        self.attn = Attention(dim, heads, fused_qkv, causal_len)
        self.mlp = MLP(dim, mlp, act)
        self.ln1, self.ln2 = nn.LayerNorm(dim, eps=eps), nn.LayerNorm(dim, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre_norm:  # GPT-2, ViT
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))
        x = self.ln1(x + self.attn(x))  # BERT
        return self.ln2(x + self.mlp(x))


class Bert(nn.Module):
    def __init__(self, layers: int, dim: int, heads: int, vocab: int = 30522, max_len: int = 512):
        super().__init__()
        self.word, self.pos, self.tok_type = (
            nn.Embedding(vocab, dim),
            nn.Embedding(max_len, dim),
            nn.Embedding(2, dim),
        )
        self.ln = nn.LayerNorm(dim, eps=1e-12)
        self.blocks = nn.Sequential(*[Block(dim, heads, 4 * dim, False, 1e-12) for _ in range(layers)])
        self.pooler = nn.Linear(dim, dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        t = ids.shape[1]  # all token types 0; positions 0..t-1
        x = self.ln(self.word(ids) + self.pos.weight[:t] + self.tok_type.weight[0])
        x = self.blocks(x)
        return torch.tanh(self.pooler(x[:, 0]))


class GPT2(nn.Module):
    def __init__(
        self, layers: int = 12, dim: int = 768, heads: int = 12, vocab: int = 50257, max_len: int = 1024
    ):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, dim), nn.Embedding(max_len, dim)
        self.blocks = nn.Sequential(
            *[
                Block(dim, heads, 4 * dim, True, 1e-5, True, max_len, nn.GELU(approximate="tanh"))
                for _ in range(layers)
            ]
        )
        self.ln_f = nn.LayerNorm(dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.wte(ids) + self.wpe.weight[: ids.shape[1]]
        return F.linear(self.ln_f(self.blocks(x)), self.wte.weight)  # LM head tied to the token embedding


class ViT(nn.Module):
    def __init__(
        self,
        image: int = 224,
        patch: int = 16,
        layers: int = 12,
        dim: int = 768,
        heads: int = 12,
        mlp: int = 3072,
        num_classes: int = 1000,
    ):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp, True, 1e-6, True) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        return self.head(self.ln(self.blocks(x))[:, 0])


SEQ_LEN = 128


def build(name: str, batch: int) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    if name == "vit_b16":
        return ViT().eval(), (torch.randn(batch, 3, 224, 224),)
    model = {"bert_tiny": lambda: Bert(2, 128, 2), "bert_base": lambda: Bert(12, 768, 12), "gpt2": GPT2}[
        name
    ]()
    vocab = model.word.num_embeddings if isinstance(model, Bert) else model.wte.num_embeddings
    return model.eval(), (torch.randint(0, vocab, (batch, SEQ_LEN), dtype=torch.int64),)
