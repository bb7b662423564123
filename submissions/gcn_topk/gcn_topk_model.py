"""The network (3 x conv + TopKPooling, mean+max readout, MLP head), batching and the losses.

Module name is prefixed so it cannot collide with another submission's helper in sys.modules.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from tircost_bench.metrics import pairwise_accuracy, peak_score, top_k_recall
from tircost_bench.representations.ast_graph import ProgramGraph
from tircost_bench.representations.embeddings import EmbeddingTable


@dataclass(frozen=True, eq=False)
class PackedGraph:
    """One graph as tensors: global token rows, standardized numeric features, undirected edges."""

    tok: torch.Tensor  # int64 (N,)
    num: torch.Tensor  # float32 (N, F)
    edges: torch.Tensor  # int64 (2, 2E)
    prog: torch.Tensor | None = None  # float32 (P,): standardized program summary (config program_features)


@dataclass(frozen=True, eq=False)
class Batch:
    tok: torch.Tensor
    num: torch.Tensor
    edge_index: torch.Tensor
    batch: torch.Tensor  # node -> graph in batch
    n_graphs: int
    prog: torch.Tensor | None = None  # (n_graphs, P), when the graphs carry program summaries


def pack(g: ProgramGraph, table: EmbeddingTable, mean: np.ndarray, std: np.ndarray,
         prog: np.ndarray | None = None) -> PackedGraph:
    """`prog`: the program's standardized summary vector (program_features), or None."""
    rows = table.index_of(g.vocab)[g.token_idx]
    ei = g.edge_index
    both = np.concatenate([ei, ei[::-1]], axis=1)  # reverse edges: messages flow both ways
    num = (g.features - mean) / std
    return PackedGraph(torch.from_numpy(rows), torch.from_numpy(num.astype(np.float32)), torch.from_numpy(both),
                       None if prog is None else torch.from_numpy(np.asarray(prog, np.float32)))


def collate(graphs: Sequence[PackedGraph]) -> Batch:
    sizes = [p.tok.numel() for p in graphs]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    edges = torch.cat([p.edges + int(o) for p, o in zip(graphs, offsets)], dim=1)
    batch = torch.repeat_interleave(torch.arange(len(graphs)), torch.tensor(sizes))
    prog = torch.stack([p.prog for p in graphs]) if graphs and graphs[0].prog is not None else None
    return Batch(torch.cat([p.tok for p in graphs]), torch.cat([p.num for p in graphs]), edges, batch,
                 len(graphs), prog)


def feature_stats(graphs: Sequence[ProgramGraph]) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean/std over training nodes (numeric features have very different ranges)."""
    x = np.concatenate([g.features for g in graphs]).astype(np.float64)
    return x.mean(axis=0).astype(np.float32), np.maximum(x.std(axis=0), 1e-3).astype(np.float32)


READOUTS = ("sum", "last", "concat")  # over the pooling levels' mean+max vectors


@functools.cache  # one class, however many networks are built
def stable_select_topk():
    """PyG's SelectTopK with ties broken by node order, on every device. A trained network's pooling scores can
    saturate (tanh exactly +-1 for most nodes); PyG sorts them unstably, and on CPU that kept other nodes than
    CUDA's stable radix sort did: a GPU-trained member predicted up to 0.86 apart in z on CPU. A stable sort
    keeps on CPU exactly the nodes the GPU kept."""
    from torch_geometric.nn.pool.select import SelectOutput, SelectTopK
    from torch_geometric.utils import cumsum, scatter

    class StableSelectTopK(SelectTopK):
        def forward(self, x: torch.Tensor, batch: torch.Tensor | None = None) -> SelectOutput:
            if batch is None:
                batch = x.new_zeros(x.size(0), dtype=torch.long)
            score = self.act((x * self.weight).sum(dim=-1) / self.weight.norm(p=2, dim=-1))
            num_nodes = scatter(batch.new_ones(x.size(0)), batch, reduce="sum")
            k = (float(self.ratio) * num_nodes.to(score.dtype)).ceil().to(torch.long)
            _, order = torch.sort(score, descending=True, stable=True)  # ties: lower node index first
            by_graph = order[torch.sort(batch[order], stable=True)[1]]  # each graph's nodes, best first
            rank = torch.arange(x.size(0), device=x.device) - cumsum(num_nodes)[batch[by_graph]]
            node_index = by_graph[rank < k[batch[by_graph]]]
            return SelectOutput(node_index=node_index, num_nodes=x.size(0),
                                cluster_index=torch.arange(node_index.size(0), device=x.device),
                                num_clusters=node_index.size(0), weight=score[node_index])

    return StableSelectTopK


class GCNTopK(nn.Module):
    def __init__(self, n_rows: int, emb_dim: int, n_num: int, hidden: int = 64, conv: str = "graph",
                 layers: int = 3, ratio: float = 0.8, dropout: float = 0.1, freeze_embedding: bool = True,
                 readout: str = "sum", n_prog: int = 0):
        super().__init__()
        from torch_geometric.nn import GCNConv, GraphConv, SAGEConv, TopKPooling

        self.n_num = n_num  # 0: numeric features left out (a study option)
        self.emb = nn.Embedding(n_rows, emb_dim)
        self.emb.weight.requires_grad_(not freeze_embedding)
        self.inp = nn.Sequential(nn.Linear(emb_dim + n_num, hidden), nn.ReLU())
        convs = {"gcn": lambda: GCNConv(hidden, hidden), "graph": lambda: GraphConv(hidden, hidden, aggr="mean"),
                 "sage": lambda: SAGEConv(hidden, hidden, aggr="mean")}
        if conv not in convs:
            raise ValueError(f"conv {conv!r}: use one of {sorted(convs)}")
        if readout not in READOUTS:
            raise ValueError(f"readout {readout!r}: use one of {READOUTS}")
        self.readout = readout
        self.convs = nn.ModuleList(convs[conv]() for _ in range(layers))
        self.pools = nn.ModuleList(TopKPooling(hidden, ratio=ratio) for _ in range(layers))
        select = stable_select_topk()
        for pool in self.pools:  # same parameter (select.weight), ties broken alike on CPU and GPU
            pool.select = select(hidden, ratio)
        width = 2 * hidden * (layers if readout == "concat" else 1)
        # n_prog > 0: the program's MetaSchedule per-store summary (what xgboost sees: bytes, reuse, intensity,
        # thread binding) through its own MLP, joined to the graph readout before the head. 0: graph only,
        # no extra parameters, so checkpoints without it load unchanged.
        self.n_prog = n_prog
        if n_prog:
            self.prog = nn.Sequential(nn.Linear(n_prog, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
            width += hidden
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, b: Batch) -> torch.Tensor:
        from torch_geometric.nn import global_max_pool, global_mean_pool

        x = self.inp(torch.cat([self.emb(b.tok), b.num[:, :self.n_num]], dim=1))
        ei, batch = b.edge_index, b.batch
        levels = []
        for conv, pool in zip(self.convs, self.pools):
            x = F.relu(conv(x, ei)) + x  # residual: keeps leaf information through 3 layers
            x, ei, _, batch, _, _ = pool(x, ei, None, batch)
            levels.append(torch.cat([global_mean_pool(x, batch, b.n_graphs), global_max_pool(x, batch, b.n_graphs)],
                                    dim=1))
        if self.readout == "sum":  # mean+max of every level, summed
            out = torch.stack(levels).sum(0)
        elif self.readout == "last":
            out = levels[-1]
        else:  # concat
            out = torch.cat(levels, dim=1)
        if self.n_prog:
            if b.prog is None:
                raise ValueError("this network reads program summaries (program_features): pack them")
            out = torch.cat([out, self.prog(b.prog)], dim=1)
        return self.head(out).squeeze(-1)


COMBINES = ("mean", "median")  # how an ensemble's members' z become one


class GCNEnsemble(nn.Module):
    """Members trained independently (own seed, batch order and dropout) on the same data; predicts the mean or
    the median of their per-task z. Averaging cuts the seed-to-seed variance of a single network; the median
    also ignores one member that puts a slow program on top (h100 val, 0.4's 3 members: peak@1 0.913 by median,
    0.884 by mean; h100 test: 0.860 and 0.861, the mean better on every metric), at members x the predict cost."""

    def __init__(self, members: Sequence[GCNTopK], combine: str = "mean"):
        super().__init__()
        if combine not in COMBINES:
            raise ValueError(f"combine {combine!r}: use one of {COMBINES}")
        self.members = nn.ModuleList(members)
        self.combine = combine

    def forward(self, b: Batch) -> torch.Tensor:
        z = torch.stack([m(b) for m in self.members])
        return z.mean(0) if self.combine == "mean" else torch.quantile(z, 0.5, dim=0)


def member_seed(seed: int, member: int) -> int:
    """The torch/numpy seed of ensemble member `member` of seed `seed` (member 0 is the seed itself)."""
    return seed + 1000 * member


def task_z(log_lat: np.ndarray, task_ids: np.ndarray) -> np.ndarray:
    """z-score of log latency within each task (never across tasks); a constant task gives 0."""
    z = np.zeros_like(log_lat)
    for t in np.unique(task_ids):
        m = task_ids == t
        v = log_lat[m]
        z[m] = (v - v.mean()) / max(float(v.std()), 1e-3)
    return z


def pair_loss(pred: torch.Tensor, z: torch.Tensor, group: torch.Tensor, margin: float = 0.05) -> torch.Tensor:
    """Logistic ranking loss over all pairs of the same task group whose targets differ by > margin."""
    same = group[:, None] == group[None, :]
    dz = z[:, None] - z[None, :]
    mask = same & (dz > margin)  # i slower than j: want pred_i > pred_j
    if not bool(mask.any()):
        return pred.sum() * 0.0
    dp = pred[:, None] - pred[None, :]
    return F.softplus(-dp[mask]).mean()


def lambda_loss(pred: torch.Tensor, z: torch.Tensor, group: torch.Tensor, margin: float = 0.05) -> torch.Tensor:
    """LambdaRank-style listwise loss: the pairwise logistic loss of each pair weighted by how much swapping
    the two would change the group's NDCG, fast programs being the relevant ones (gain 2^-z, clipped), so
    mistakes near the top of a task's ranking (what peak@k and top-k recall see) cost most."""
    same = group[:, None] == group[None, :]
    dz = z[:, None] - z[None, :]
    mask = same & (dz > margin)
    if not bool(mask.any()):
        return pred.sum() * 0.0
    gain = torch.pow(2.0, (-z).clamp(-3.0, 3.0))
    with torch.no_grad():  # rank by prediction within the group: 1 = predicted fastest
        rank = ((pred[None, :] < pred[:, None]) & same).sum(1).float() + 1.0
        disc = 1.0 / torch.log2(1.0 + rank)
        ideal = ((z[None, :] < z[:, None]) & same).sum(1).float() + 1.0
        idcg = torch.zeros_like(pred).index_add_(0, group, gain / torch.log2(1.0 + ideal))[group]
        weight = (gain[:, None] - gain[None, :]).abs() * (disc[:, None] - disc[None, :]).abs() / idcg[:, None]
    dp = pred[:, None] - pred[None, :]
    w = weight[mask]
    return (w * F.softplus(-dp[mask])).sum() / w.sum().clamp_min(1e-12)


def listnet_loss(pred: torch.Tensor, z: torch.Tensor, group: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """ListNet top-one cross entropy within each group: the target puts softmax(-z / T) on who is fastest, so
    the loss is carried by a task's fastest programs (what peak@1 and top-k recall look at)."""
    n_groups = int(group.max()) + 1

    def log_softmax(x: torch.Tensor) -> torch.Tensor:  # per group, numerically stable
        top = torch.full((n_groups,), -torch.inf, device=x.device, dtype=x.dtype).scatter_reduce(0, group, x, "amax")
        e = torch.exp(x - top[group])
        return x - top[group] - torch.log(torch.zeros(n_groups, device=x.device, dtype=x.dtype).index_add_(0, group, e))[group]

    target = torch.exp(log_softmax(-z / temperature))
    return -(target * log_softmax(-pred)).sum() / n_groups


def training_loss(pred: torch.Tensor, z: torch.Tensor, group: torch.Tensor, loss: str,
                  rank_weight: float, temperature: float = 0.5) -> torch.Tensor:
    """'huber_pair' (Huber on z + pairwise), 'pair', 'huber', 'lambda' (Huber + LambdaRank-weighted pairs) or
    'pair_list' (pairwise + rank_weight x ListNet top-one at `temperature`)."""
    if loss == "huber":
        return F.huber_loss(pred, z, delta=1.0)
    if loss == "pair":
        return pair_loss(pred, z, group)
    if loss == "huber_pair":
        return F.huber_loss(pred, z, delta=1.0) + rank_weight * pair_loss(pred, z, group)
    if loss == "lambda":
        return F.huber_loss(pred, z, delta=1.0) + rank_weight * lambda_loss(pred, z, group)
    if loss == "pair_list":
        return pair_loss(pred, z, group) + rank_weight * listnet_loss(pred, z, group, temperature)
    raise ValueError(f"loss {loss!r}: use 'huber_pair', 'pair', 'huber', 'lambda' or 'pair_list'")


def val_scores(z_pred: np.ndarray, latencies: np.ndarray, task_ids: np.ndarray) -> dict[str, float]:
    """Mean per-task val pairwise accuracy, peak@1 and top-5 recall, and `composite`, their mean: early stopping
    and the study select on one of these (Config.select)."""
    per: dict[str, list[float]] = {"pairwise": [], "peak1": [], "top5": []}
    for t in np.unique(task_ids):
        m = task_ids == t
        per["pairwise"].append(pairwise_accuracy(latencies[m], z_pred[m]))
        per["peak1"].append(peak_score(latencies[m], z_pred[m], 1))
        per["top5"].append(top_k_recall(latencies[m], z_pred[m], 5))
    out = {k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in per.items()}
    out["composite"] = float(np.mean([out["pairwise"], out["peak1"], out["top5"]]))
    return out


def task_batches(task_ids: np.ndarray, rng: np.random.Generator, per_task: int, tasks_per_batch: int,
                 z: np.ndarray | None = None, top_share: float = 0.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Batches of (indices, group ids): chunks of `per_task` programs of one task, several tasks a batch.

    top_share > 0 (needs z): each chunk holds round(top_share x per_task) programs drawn from the task's fastest
    quarter and the rest from the others, so the fast programs meet each other and the rest in every chunk
    (random chunks put a task's best program in one chunk of ~3 an epoch: the top of the ranking, which peak@1
    sees, got few comparisons)."""
    chunks: list[np.ndarray] = []
    n_top = round(top_share * per_task) if z is not None else 0
    for t in np.unique(task_ids):
        members = np.flatnonzero(task_ids == t)
        if 0 < n_top < per_task and members.size > per_task:
            fastest = members[np.argsort(z[members], kind="stable")][: max(n_top, members.size // 4)]
            rest = rng.permutation(np.setdiff1d(members, fastest))
            step = per_task - n_top
            chunks.extend(np.concatenate([rng.choice(fastest, n_top, replace=False), rest[i:i + step]])
                          for i in range(0, rest.size, step))
            continue
        idx = rng.permutation(members)
        chunks.extend(idx[i:i + per_task] for i in range(0, idx.size, per_task) if idx[i:i + per_task].size > 1)
    order = rng.permutation(len(chunks))
    out = []
    for s in range(0, len(order), tasks_per_batch):
        sel = [chunks[k] for k in order[s:s + tasks_per_batch]]
        out.append((np.concatenate(sel), np.concatenate([np.full(c.size, j) for j, c in enumerate(sel)])))
    return out
