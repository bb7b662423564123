"""Export a suite's train/val AST graphs and fitted token embeddings as compact arrays for GPU training.

    python tools/device/gcn_export.py --suite h100 --out STAGE [--variants word2vec:16:0 fasttext:16:0 ...]

Runs here on CPU (graphs need TVM, embeddings need gensim); the GPU side (gcn_train_gpu.py) needs only
numpy, torch and PyG. Test programs are never exported: their labels must not reach training, and their
graphs are not needed there. Writes STAGE/graphs.npz (tokens as global vocabulary ids, raw numeric features,
forward edges, per-graph offsets, task ids, log latencies, split flags) and STAGE/emb-<kind><dim>-s<seed>/
(the EmbeddingTable files plus rows.npy: global vocabulary id -> table row, with the predictor's back-off);
with --programs also STAGE/programs.npz (each program's MetaSchedule per-store summary, for program_features:
featurizing h100's 23,528 train+val programs took 5 min on 2 cores on 2026-12-07, once; the disk cache keeps it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from tircost_bench.evaluation.lofo import default_folds
from tircost_bench.progress import stage
from tircost_bench.representations.ast_graph import N_FEATURES
from tircost_bench.representations.embeddings import fit_embeddings
from tircost_bench.representations.features import per_store_features, program_summary
from tircost_bench.representations.graph_store import build_graphs


def variant_dir(out: Path, kind: str, dim: int, seed: int) -> Path:
    return out / f"emb-{kind}{dim}-s{seed}"


def export_graphs(suite, out: Path, folds: list, write: bool = True) -> dict:
    """Train then val graphs, concatenated; returns the train graphs' list for the embedding fits."""
    parts = {s: suite.labeled(s) for s in ("train", "val")}
    graphs = {s: build_graphs(parts[s].programs, workers=2) for s in parts}
    all_g = graphs["train"] + graphs["val"]
    vocab = sorted({t for g in all_g for t in g.vocab})
    if not write:
        return {"train": graphs["train"], "vocab": vocab}
    index = {t: i for i, t in enumerate(vocab)}
    n_nodes = np.array([g.num_nodes for g in all_g], np.int64)
    n_edges = np.array([g.edge_index.shape[1] for g in all_g], np.int64)
    tok = np.concatenate([np.array([index[t] for t in g.vocab], np.int32)[g.token_idx] for g in all_g])
    feats = np.concatenate([g.features for g in all_g]).astype(np.float32)
    edges = np.concatenate([g.edge_index for g in all_g], axis=1)
    assert edges.max() < 2 ** 15, "local node ids exceed int16"
    task_names = sorted({p.task_id for s in parts for p in parts[s].programs})
    tix = {t: i for i, t in enumerate(task_names)}
    arrays = {
        "tok": tok.astype(np.int16), "feat": feats, "edges": edges.astype(np.int16),
        "n_nodes": n_nodes.astype(np.int32), "n_edges": n_edges.astype(np.int32),
        "task": np.array([tix[p.task_id] for s in parts for p in parts[s].programs], np.int32),
        "uid": np.array([p.uid for s in parts for p in parts[s].programs], np.int64),
        "log_lat": np.concatenate([np.log(parts[s].latencies) for s in parts]).astype(np.float64),
        "is_val": np.concatenate([np.zeros(len(parts["train"]), bool), np.ones(len(parts["val"]), bool)]),
    }
    np.savez_compressed(out / "graphs.npz", **arrays)
    x = feats[: int(n_nodes[: len(parts["train"])].sum())].astype(np.float64)  # train nodes only, as feature_stats
    meta = {"suite": {"name": suite.name, "sha256": suite.sha256}, "vocab": vocab, "tasks": task_names,
            "n_features": N_FEATURES, "feature_mean": x.mean(axis=0).astype(np.float32).tolist(),
            "feature_std": np.maximum(x.std(axis=0), 1e-3).astype(np.float32).tolist(),
            "n_programs": {s: len(parts[s]) for s in parts},
            "folds": [{"name": f.name, "kind": f.kind, "members": list(f.members), "task_ids": list(f.task_ids)}
                      for f in folds]}
    (out / "meta.json").write_text(json.dumps(meta))
    return {"train": graphs["train"], "vocab": vocab}


def export_programs(suite, out: Path, workers: int | None = None) -> None:
    """STAGE/programs.npz: each train/val program's per-store summary (features.program_summary, what
    gcn_topk's program_features reads), in graphs.npz's order, with the train programs' mean and std."""
    parts = [suite.labeled(s) for s in ("train", "val")]
    programs = [p for lp in parts for p in lp.programs]
    x = program_summary(per_store_features(programs, workers=workers))
    train = x[: len(parts[0])]
    np.savez_compressed(out / "programs.npz", uid=np.array([p.uid for p in programs], np.int64), prog=x,
                        mean=train.mean(0).astype(np.float32), std=np.maximum(train.std(0), 1e-3).astype(np.float32))


def export_embedding(train_graphs, vocab: list[str], out: Path, kind: str, dim: int, seed: int) -> None:
    t0 = time.perf_counter()
    table = fit_embeddings(train_graphs, kind, dim, seed)
    d = variant_dir(out, kind, dim, seed)
    d.mkdir(parents=True, exist_ok=True)
    table.save(d)
    np.save(d / "rows.npy", table.index_of(vocab).astype(np.int32))
    print(f"{d.name}: {len(table.tokens)} tokens, fit {time.perf_counter() - t0:.0f}s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--variants", nargs="+", default=["word2vec:16:0"], help="kind:dim:seed")
    ap.add_argument("--embeddings-only", action="store_true", help="fit the variants, leave graphs.npz alone")
    ap.add_argument("--limit-tasks", type=int, default=0, help="rehearsal: only the first N tasks of each split")
    ap.add_argument("--programs", action="store_true", help="also write programs.npz (program_features)")
    ap.add_argument("--only-programs", action="store_true", help="write programs.npz only (graphs.npz exists)")
    args = ap.parse_args()
    from tircost_bench.suite.loader import load_suite

    args.out.mkdir(parents=True, exist_ok=True)
    suite = load_suite(args.suite)
    folds = default_folds(suite)
    if args.limit_tasks:
        suite = _sliced(suite, args.limit_tasks)
    if args.programs or args.only_programs:
        export_programs(suite, args.out)
        if args.only_programs:
            return
    got = export_graphs(suite, args.out, folds, write=not args.embeddings_only)
    with stage("embeddings", total=len(args.variants)) as bar:
        for v in args.variants:
            kind, dim, seed = v.split(":")
            export_embedding(got["train"], got["vocab"], args.out, kind, int(dim), int(seed))
            bar.advance(1)


class _sliced:
    """A view of a suite with only the first `n` tasks of each split (CPU rehearsal of the GPU script)."""

    def __init__(self, suite, n: int) -> None:
        self._suite, self._n = suite, n
        self.name, self.sha256 = suite.name, suite.sha256

    def labeled(self, split: str):
        from tircost_bench.suite.loader import LabeledPrograms

        lp = self._suite.labeled(split)
        keep = set(sorted({p.task_id for p in lp.programs})[: self._n])
        m = np.array([p.task_id in keep for p in lp.programs])
        return LabeledPrograms([p for p, k in zip(lp.programs, m) if k], lp.latencies[m])


if __name__ == "__main__":
    main()
