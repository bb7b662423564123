"""The network zoo: real architectures in plain torch.nn with random weights (latency does not depend on
weight values), and the registry the task extraction walks.

A network id is "<name>-b<batch>", e.g. "resnet_50-b8".
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class NetworkSpec:
    name: str  # "resnet_50"
    family: str  # "resnet"; also the zoo module that builds it
    build: Callable[[int], tuple[torch.nn.Module, tuple[torch.Tensor, ...]]]  # batch -> (eval model, inputs)
    batch_sizes: tuple[int, ...] = (1, 8)


def _builder(family: str, name: str) -> Callable[[int], tuple[torch.nn.Module, tuple[torch.Tensor, ...]]]:
    def build(batch: int):
        torch.manual_seed(0)
        return importlib.import_module(f"{__name__}.{family}").build(name, batch)

    build.__qualname__ = build.__name__ = f"build_{name}"
    return build


# name -> (family, batch sizes). (1,) for the largest models (BERT-base, GPT-2) and the 3-D CNN, whose
# batch-8 variants only repeat the batch-1 operators at a multiple of the memory.
_ZOO: dict[str, tuple[str, tuple[int, ...]]] = {
    "resnet_18": ("resnet", (1, 8)),
    "resnet_50": ("resnet", (1, 8)),
    "resnext_50": ("resnet", (1, 8)),
    "wide_resnet_50": ("resnet", (1, 8)),
    "mobilenet_v2": ("mobilenet", (1, 8)),
    "mobilenet_v3_large": ("mobilenet", (1, 8)),
    "densenet_121": ("densenet", (1, 8)),
    "inception_v3": ("inception", (1, 8)),
    "vgg_16": ("vgg", (1, 8)),
    "efficientnet_b0": ("efficientnet", (1, 8)),
    "squeezenet_v1.1": ("squeezenet", (1, 8)),
    "bert_tiny": ("transformer", (1, 8)),
    "bert_base": ("transformer", (1,)),
    "vit_b16": ("transformer", (1, 8)),
    "gpt2": ("transformer", (1,)),
    "mlp_mixer_b16": ("mixer", (1, 8)),
    "dcgan": ("dcgan", (1, 8)),
    "r3d_18": ("r3d", (1,)),
}

NETWORKS: dict[str, NetworkSpec] = {
    name: NetworkSpec(name, family, _builder(family, name), batches)
    for name, (family, batches) in _ZOO.items()
}

# TenSet's test networks: tasks used only by these are held out of training.
HELD_OUT_NETWORKS = ("resnet_50", "mobilenet_v2", "resnext_50", "bert_base", "bert_tiny")


def get_network(name: str) -> NetworkSpec:
    try:
        return NETWORKS[name]
    except KeyError:
        close = difflib.get_close_matches(name, NETWORKS, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(NETWORKS)}"
        raise ValueError(f"unknown network {name!r}{hint}") from None


def network_id(name: str, batch: int) -> str:
    return f"{name}-b{batch}"


def parse_network_id(nid: str) -> tuple[str, int]:
    name, sep, batch = nid.rpartition("-b")
    if not sep or not name or not batch.isdigit():
        raise ValueError(f"bad network id {nid!r}; expected '<name>-b<batch>', e.g. 'resnet_50-b1'")
    return name, int(batch)


def all_network_ids() -> list[str]:
    return [network_id(s.name, b) for s in NETWORKS.values() for b in s.batch_sizes]
