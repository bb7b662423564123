"""GCN/GraphConv + TopKPooling over the scheduled TIR AST, trained on per-task z of log latency.

Targets are z-scores of log latency *within each task*; the loss is Huber on z plus a pairwise logistic
ranking loss over pairs of the same task (batches are groups of same-task programs). predict returns
exp(z): a monotone map, so every ranking metric is exact, but the absolute scale is per-task relative
(rmse_z then only reflects rank/shape, not the per-task mean or spread).
"""

from __future__ import annotations

import copy
import json
import random
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gcn_topk_model import (
    GCNEnsemble,
    GCNTopK,
    PackedGraph,
    collate,
    feature_stats,
    member_seed,
    pack,
    task_batches,
    task_z,
    training_loss,
    val_scores,
)

from tircost_bench.predictors.interface import Predictor
from tircost_bench.representations.ast_graph import GRAPH_VERSION, N_FEATURES, ProgramGraph
from tircost_bench.representations.embeddings import EmbeddingTable, fit_embeddings, plot_embeddings
from tircost_bench.representations.features import PROGRAM_WIDTH, per_store_features, program_summary
from tircost_bench.representations.graph_store import build_graphs
from tircost_bench.representations.program import Program
from tircost_bench.representations.workers import default_workers
from tircost_bench.suite.loader import LabeledPrograms


@dataclass
class Config:
    conv: str = "graph"  # "graph" (GraphConv), "gcn" (GCNConv) or "sage" (SAGEConv)
    hidden: int = 64
    layers: int = 3
    pool_ratio: float = 0.8
    readout: str = "sum"  # over pooling levels: "sum", "last" or "concat"
    numeric: bool = True  # numeric node features in the input (False: token embedding only)
    program_features: bool = False  # MetaSchedule per-store summary of the program joined to the readout
    loss: str = "huber_pair"  # "huber_pair", "pair", "huber", "lambda" (LambdaRank pairs + Huber), "pair_list"
    select: str = "pairwise"  # early stopping on val "pairwise" or "composite" (mean of pairwise, peak@1, top-5)
    dropout: float = 0.1
    embedding: str = "word2vec"  # or "fasttext"
    emb_dim: int = 16
    freeze_embedding: bool = True
    walks_per_graph: int = 8
    walk_length: int = 16
    lr: float = 2e-3
    lr_schedule: str = "const"  # or "cosine" (annealed per epoch over max_epochs)
    weight_decay: float = 1e-5
    rank_weight: float = 1.0  # weight of the pairwise ranking loss next to Huber on z
    per_task: int = 16  # programs of one task per group in a batch
    top_share: float = 0.0  # share of each group drawn from the task's fastest quarter (0: random groups)
    temperature: float = 0.5  # of the ListNet top-one target softmax(-z / T) ("pair_list")
    tasks_per_batch: int = 8
    max_epochs: int = 60
    patience: int = 12
    max_minutes: float = 10.0  # wall-clock cap of each member's training loop
    members: int = 1  # networks trained independently and combined in z (GCNEnsemble); 1: a single GCNTopK
    combine: str = "mean"  # the members' z: "mean" or "median" (chosen on val after training, not learned)
    threads: int = 1  # torch intra-op threads: on a shared 2-core box 2 threads ran 5-10x slower (spin waits)
    graph_workers: int = 0  # processes for cold graph builds; 0 = one per core
    online_steps: int = 20  # search: Adam steps per update, from the trained weights, on all measurements so far


CHECKPOINT_FILES = ("model.pt", "config.json")
# Not learned by a checkpoint: a loaded checkpoint keeps the submission's (this machine's, or predict-time rules)
RUNTIME_SETTINGS = ("threads", "graph_workers", "online_steps", "combine")


class GCNTopKPredictor(Predictor):
    def __init__(self, seed: int = 0, **parameters: Any) -> None:
        super().__init__(seed=seed, **parameters)
        unknown = set(parameters) - set(Config.__dataclass_fields__)
        if unknown:
            raise ValueError(f"gcn_topk: unknown parameters {sorted(unknown)}")
        self.config = Config(**parameters)
        self.table: EmbeddingTable | None = None
        self.model: GCNTopK | None = None
        self.mean = np.zeros(N_FEATURES, np.float32)
        self.std = np.ones(N_FEATURES, np.float32)
        self.prog_mean = np.zeros(PROGRAM_WIDTH, np.float32)  # program summary standardization (train)
        self.prog_std = np.ones(PROGRAM_WIDTH, np.float32)
        self.history: list[dict[str, float]] = []
        self.best_val: float = float("nan")
        self._forget_online()

    def _forget_online(self) -> None:
        self._online: list[tuple[PackedGraph, str, float]] = []  # (graph, task id, latency) from the tuner

    # --- helpers --------------------------------------------------------------------------------------
    def _seed_all(self) -> None:
        random.seed(self.seed)
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)
        torch.set_num_threads(self.config.threads)

    def _graphs(self, programs: Sequence[Program]) -> list[ProgramGraph]:
        return build_graphs(programs, workers=self.config.graph_workers or default_workers())

    def _summaries(self, programs: Sequence[Program]) -> np.ndarray:
        """The programs' per-store summaries (features.program_summary), not yet standardized."""
        workers = self.config.graph_workers or default_workers()
        return program_summary(per_store_features(programs, workers=workers))

    def _pack(self, programs: Sequence[Program], graphs: Sequence[ProgramGraph],
              summaries: np.ndarray | None = None) -> list[PackedGraph]:
        assert self.table is not None
        if not self.config.program_features:
            return [pack(g, self.table, self.mean, self.std) for g in graphs]
        x = self._summaries(programs) if summaries is None else summaries
        x = (x - self.prog_mean) / self.prog_std
        return [pack(g, self.table, self.mean, self.std, row) for g, row in zip(graphs, x)]

    def _build_member(self) -> GCNTopK:
        assert self.table is not None
        c = self.config
        model = GCNTopK(self.table.vectors.shape[0], self.table.dim, N_FEATURES if c.numeric else 0, c.hidden,
                        c.conv, c.layers, c.pool_ratio, c.dropout, c.freeze_embedding, c.readout,
                        PROGRAM_WIDTH if c.program_features else 0)
        with torch.no_grad():
            model.emb.weight.copy_(torch.from_numpy(self.table.vectors))
        return model

    def _build_model(self) -> GCNTopK | GCNEnsemble:
        """The network a checkpoint of this config holds: one GCNTopK, or an ensemble of `members`."""
        if self.config.members == 1:
            return self._build_member()
        return GCNEnsemble([self._build_member() for _ in range(self.config.members)], self.config.combine)

    def _predict_z(self, packed: Sequence[PackedGraph], batch_size: int = 512) -> np.ndarray:
        assert self.model is not None
        self.model.eval()
        out = []
        with torch.no_grad():
            for s in range(0, len(packed), batch_size):
                out.append(self.model(collate(packed[s:s + batch_size])).numpy())
        return np.concatenate(out).astype(np.float64) if out else np.zeros(0)

    def _optimizer(self) -> tuple[list[torch.nn.Parameter], torch.optim.Optimizer]:
        assert self.model is not None
        params = [p for p in self.model.parameters() if p.requires_grad]
        return params, torch.optim.Adam(params, lr=self.config.lr, weight_decay=self.config.weight_decay)

    def _step(self, opt: torch.optim.Optimizer, params: list[torch.nn.Parameter], packed: Sequence[PackedGraph],
              z: torch.Tensor, idx: np.ndarray, groups: np.ndarray) -> float:
        """One Adam step on a batch of same-task groups, with the configured loss (training_loss)."""
        assert self.model is not None
        pred = self.model(collate([packed[i] for i in idx]))
        c = self.config
        loss = training_loss(pred, z[idx], torch.from_numpy(groups), c.loss, c.rank_weight, c.temperature)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        return float(loss.detach())

    def _split_valid(self, train: LabeledPrograms, valid: LabeledPrograms) -> tuple[LabeledPrograms, LabeledPrograms]:
        """Use `valid` when it has tasks; else hold out ~20% of train *tasks* (never random programs)."""
        if len(valid):
            return train, valid
        tasks = np.unique(train.task_ids)
        held = {t for t in tasks if zlib.crc32(f"{self.seed}:{t}".encode()) % 5 == 0} or {tasks[-1]}
        if len(held) == len(tasks):
            held = {tasks[-1]}
        m = np.isin(train.task_ids, list(held))
        pick = lambda mask: LabeledPrograms([p for p, k in zip(train.programs, mask) if k], train.latencies[mask])
        return pick(~m), pick(m)

    # --- Predictor API -------------------------------------------------------------------------------
    def fit(self, train: LabeledPrograms, valid: LabeledPrograms) -> None:
        c = self.config
        self._forget_online()
        self._seed_all()
        train, valid = self._split_valid(train, valid)
        t0 = time.perf_counter()
        g_train = self._graphs(train.programs)
        g_valid = self._graphs(valid.programs)
        t_graph = time.perf_counter() - t0
        self.table = fit_embeddings(g_train, c.embedding, c.emb_dim, self.seed, c.walks_per_graph, c.walk_length)
        self.mean, self.std = feature_stats(g_train)
        s_train = self._summaries(train.programs) if c.program_features else None
        if s_train is not None:
            self.prog_mean = s_train.mean(0).astype(np.float32)
            self.prog_std = np.maximum(s_train.std(0), 1e-3).astype(np.float32)
        p_train, p_valid = self._pack(train.programs, g_train, s_train), self._pack(valid.programs, g_valid)
        tid_train, tid_valid = train.task_ids, valid.task_ids
        z = torch.from_numpy(task_z(np.log(train.latencies), tid_train).astype(np.float32))

        t_train = time.perf_counter()
        members = [self._train_member(m, p_train, z, tid_train, p_valid, valid) for m in range(c.members)]
        self.model = members[0] if c.members == 1 else GCNEnsemble(members, c.combine)
        self.best_val = val_scores(self._predict_z(p_valid), valid.latencies, tid_valid)[c.select]  # the whole's
        self.timing = {"graphs_s": t_graph, "train_s": time.perf_counter() - t_train,
                       "n_train": len(train), "n_valid": len(valid)}

    def _train_member(self, member: int, p_train: list[PackedGraph], z: torch.Tensor, tid_train: np.ndarray,
                      p_valid: list[PackedGraph], valid: LabeledPrograms) -> GCNTopK:
        """One network from its own seed: Adam on same-task batches, early stopping on the val score
        (config.select), the best epoch's weights kept; its epochs go into self.history."""
        c = self.config
        torch.manual_seed(member_seed(self.seed, member))
        rng = np.random.default_rng(member_seed(self.seed, member))
        self.model = self._build_member()
        params, opt = self._optimizer()
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, c.max_epochs) if c.lr_schedule == "cosine" else None
        best_state, best, bad = None, -np.inf, 0
        t_train = time.perf_counter()
        for epoch in range(c.max_epochs):
            self.model.train()
            losses = []
            for idx, groups in task_batches(tid_train, rng, c.per_task, c.tasks_per_batch, z.numpy(), c.top_share):
                losses.append(self._step(opt, params, p_train, z, idx, groups))
            if sched is not None:
                sched.step()
            scores = val_scores(self._predict_z(p_valid), valid.latencies, valid.task_ids)
            val = scores[c.select]
            self.history.append({"member": member, "epoch": epoch,
                                 "loss": float(np.mean(losses)) if losses else float("nan"),
                                 **{f"val_{k}": v for k, v in scores.items()}, "seconds": time.perf_counter() - t_train})
            if not np.isfinite(val) or val > best:
                best, bad = (val if np.isfinite(val) else best), 0
                best_state = copy.deepcopy(self.model.state_dict())
            else:
                bad += 1
            if bad >= c.patience or time.perf_counter() - t_train > 60 * c.max_minutes:
                break
        if best_state is not None:
            self.model.load_state_dict(best_state)
        return self.model

    def update(self, programs: Sequence[Program], latencies: np.ndarray) -> None:
        """Online learning in search, incremental: Adam steps continue from the current weights (no restart
        from the trained ones) on batches drawn from every measurement so far, and the steps of an update
        shrink with the share of new measurements: online_steps x new / all, at least 1. A search of n
        updates then costs ~online_steps x ln(n) steps, not online_steps x n (was 21.5 s a 264-trial search)."""
        c = self.config
        if self.model is None:
            raise RuntimeError("gcn_topk: fit or load first")
        if c.online_steps <= 0 or not len(programs):
            return
        torch.set_num_threads(c.threads)
        packed = self._pack(programs, self._graphs(programs))
        self._online += [(g, p.task_id, float(x)) for g, p, x in zip(packed, programs, latencies)]
        graphs = [g for g, _, _ in self._online]
        tids = np.array([t for _, t, _ in self._online])
        z = torch.from_numpy(task_z(np.log([x for _, _, x in self._online]), tids).astype(np.float32))
        budget = max(1, int(np.ceil(c.online_steps * len(programs) / len(self._online))))
        params, opt = self._optimizer()
        rng = np.random.default_rng([self.seed, len(self._online)])  # a new draw every update
        self.model.train()
        steps = 0
        while steps < budget:
            batches = task_batches(tids, rng, c.per_task, c.tasks_per_batch, z.numpy(), c.top_share)[: budget - steps]
            if not batches:
                break  # no task has two programs yet: nothing to rank
            for idx, groups in batches:
                self._step(opt, params, graphs, z, idx, groups)
            steps += len(batches)
        self.model.eval()

    def predict(self, programs: Sequence[Program]) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("gcn_topk: fit or load first")
        torch.set_num_threads(self.config.threads)
        z = self._predict_z(self._pack(programs, self._graphs(programs)))
        return np.exp(np.clip(z, -30.0, 30.0)).astype(np.float64)  # monotone: per-task order is kept

    def save(self, directory: Path) -> None:
        if self.model is None or self.table is None:
            raise RuntimeError("gcn_topk: nothing to save, fit first")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        torch.save(self.model.state_dict(), directory / "model.pt")
        self.table.save(directory)
        meta = {"config": asdict(self.config), "seed": self.seed, "graph_version": GRAPH_VERSION,
                "feature_mean": self.mean.tolist(), "feature_std": self.std.tolist(),
                **({"program_mean": self.prog_mean.tolist(), "program_std": self.prog_std.tolist()}
                   if self.config.program_features else {}),
                "best_val": self.best_val, "history": self.history,
                "timing": getattr(self, "timing", {})}
        (directory / "config.json").write_text(json.dumps(meta, indent=1))
        plot_embeddings(self.table, directory / "embedding.png")

    def load(self, directory: Path) -> None:
        directory = Path(directory)
        meta = json.loads((directory / "config.json").read_text())
        if meta.get("graph_version") != GRAPH_VERSION:
            raise ValueError(f"{directory}: trained on AST graphs v{meta.get('graph_version')}, "
                             f"this code builds v{GRAPH_VERSION}; retrain")
        # Run-time settings are the submission's (this machine's), not the checkpoint's.
        runtime = {k: getattr(self.config, k) for k in RUNTIME_SETTINGS}
        self.config = Config(**{**meta["config"], **runtime})
        self._forget_online()
        self.mean = np.asarray(meta["feature_mean"], np.float32)
        self.std = np.asarray(meta["feature_std"], np.float32)
        if self.config.program_features:
            self.prog_mean = np.asarray(meta["program_mean"], np.float32)
            self.prog_std = np.asarray(meta["program_std"], np.float32)
        self.best_val = float(meta.get("best_val", meta.get("best_val_pairwise", float("nan"))))  # of config.select
        self.history = meta.get("history", [])
        self.table = EmbeddingTable.load(directory)
        self.model = self._build_model()
        self.model.load_state_dict(torch.load(directory / "model.pt", weights_only=True))
        self.model.eval()
