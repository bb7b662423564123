"""Turn what gcn_train_gpu.py brought back into checkpoints, MLflow runs and LOFO numbers (CPU side).

    python tools/device/gcn_collect.py --results RESULTS --stage STAGE --suite h100 [--no-mlflow]

- every study trial (RESULTS/trials-w*.jsonl) becomes one MLflow run in experiment
  `tircost-bench/<suite>/gcn_topk-study` (params, val metrics, per-epoch val pairwise as steps);
- RESULTS/seed<k>/ (or the members RESULTS/seed<k>-m<j>/ of an ensemble, merged into one GCNEnsemble state
  dict) becomes submissions/gcn_topk/checkpoints/<suite>/seed<k>/: model.pt, config.json (what
  GCNTopKPredictor.load reads), the seed's embedding table from STAGE, embedding.png, provenance.json and
  gpu_check.npz (64 val graphs with the GPU's predictions, for tests/test_gcn_gpu_checkpoint.py);
- RESULTS/lofo-<i>/ is scored on its held-out family with tircost_bench.evaluation.lofo.score.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from tircost_bench.predictors import provenance
from tircost_bench.predictors.submission import SubmissionMeta

ROOT = Path(__file__).resolve().parents[2]
SUBMISSION = ROOT / "submissions" / "gcn_topk"


def merge_members(dirs: list[Path], out: Path) -> dict:
    """One checkpoint's model.pt from its members' result folders (member order); returns a result.json-like
    dict for the whole: the members' check predictions averaged (as GCNEnsemble predicts), histories tagged
    with their member, seconds summed, best_val the members' mean (each member's own in members_best_val)."""
    import torch

    rs = [json.loads((d / "result.json").read_text()) for d in dirs]
    if len(rs) == 1:
        shutil.copy(dirs[0] / "model.pt", out / "model.pt")
        return rs[0]
    assert [r["member"] for r in rs] == list(range(len(rs))), f"members of {dirs[0].name}: {[r['member'] for r in rs]}"
    assert len({tuple(r["check_uids"]) for r in rs}) == 1, "members checked on different programs"
    state = {f"members.{r['member']}.{k}": v for d, r in zip(dirs, rs)
             for k, v in torch.load(d / "model.pt", weights_only=True).items()}
    torch.save(state, out / "model.pt")
    return {**rs[0], "best_val": float(np.mean([r["best_val"] for r in rs])),
            "members_best_val": [r["best_val"] for r in rs], "seconds": float(sum(r["seconds"] for r in rs)),
            "best_epoch": [r["best_epoch"] for r in rs], "stop": [r["stop"] for r in rs],
            "history": [{"member": r["member"], **h} for r in rs for h in r["history"]],
            "check_z": np.mean([r["check_z"] for r in rs], axis=0).tolist()}


def write_checkpoint(dirs: list[Path], stage: Path, meta: dict, suite, by_uid: dict, out: Path, command: str) -> dict:
    import sys

    sys.path.insert(0, str(SUBMISSION))
    from gcn_topk_model import pack
    from predictor import Config

    from tircost_bench.representations.ast_graph import GRAPH_VERSION
    from tircost_bench.representations.embeddings import EmbeddingTable, plot_embeddings
    from tircost_bench.representations.graph_store import build_graphs

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    r = merge_members(dirs, out)
    p, seed = r["params"], r["seed"]
    names = {f.name for f in fields(Config)}
    config = asdict(Config(**{k: v for k, v in p.items() if k in names}))
    config.update(max_epochs=r.get("max_epochs", 80), patience=r.get("patience", 10), max_minutes=0.0)  # no wall cap here
    emb = stage / f"emb-{p['embedding']}{p['emb_dim']}-s{r.get('embedding_seed', seed)}"
    for f in ("embedding.npy", "embedding_vocab.json"):
        shutil.copy(emb / f, out / f)
    table = EmbeddingTable.load(out)
    plot_embeddings(table, out / "embedding.png")
    cfg = {"config": config, "seed": seed, "graph_version": GRAPH_VERSION, "feature_mean": meta["feature_mean"],
           "feature_std": meta["feature_std"], "best_val": r["best_val"], "history": r["history"],
           **({"members_best_val": r["members_best_val"]} if "members_best_val" in r else {}),
           **({k: r[k] for k in ("program_mean", "program_std")} if config["program_features"] else {}),
           "timing": {"train_s": r["seconds"], "n_train": r["n_train"], "n_valid": r["n_val"], "stop": r["stop"],
                      "best_epoch": r["best_epoch"], "device": r["device"], "torch": r["torch"]}}
    (out / "config.json").write_text(json.dumps(cfg, indent=1))
    graphs = build_graphs([by_uid[u] for u in r["check_uids"]], workers=1)
    mean, std = (np.asarray(meta[k], np.float32) for k in ("feature_mean", "feature_std"))
    prog = [None] * len(graphs)
    if config["program_features"]:  # the check programs' summaries, standardized as the predictor does
        from tircost_bench.representations.features import per_store_features, program_summary

        x = program_summary(per_store_features([by_uid[u] for u in r["check_uids"]], workers=1))
        prog = list((x - np.asarray(r["program_mean"], np.float32)) / np.asarray(r["program_std"], np.float32))
    packed = [pack(g, table, mean, std, q) for g, q in zip(graphs, prog)]
    np.savez_compressed(out / "gpu_check.npz", uids=np.array(r["check_uids"]), z_gpu=np.array(r["check_z"]),
                        n_nodes=np.array([q.tok.numel() for q in packed]),
                        n_edges=np.array([q.edges.shape[1] for q in packed]),
                        tok=np.concatenate([q.tok.numpy() for q in packed]),
                        num=np.concatenate([q.num.numpy() for q in packed]),
                        edges=np.concatenate([q.edges.numpy() for q in packed], axis=1),
                        **({"prog": np.stack([q.prog.numpy() for q in packed])} if config["program_features"] else {}))
    hardware = {"device": r["device"], "torch": r["torch"], "kind": "lent GPU machine"}
    n_programs = {s: len(suite.labeled(s)) for s in ("train", "val")}
    provenance.write(out, provenance.build(suite, seed, command, provenance.code_sha256(SUBMISSION), n_programs,
                                           r["seconds"], hardware,
                                           submission_version=SubmissionMeta.read(SUBMISSION).version))
    return r


def log_study(results: Path, suite_name: str, study: str = "gcn_topk-study") -> str:
    """One MLflow run per trial in experiment `tircost-bench/<suite>/<study>` (one experiment per study);
    returns the experiment id."""
    from mlflow.entities import Metric, Param

    from tircost_bench.evaluation.tracking import artifact_root, client

    mlc = client()
    name = f"tircost-bench/{suite_name}/{study}"
    exp = mlc.get_experiment_by_name(name)
    exp_id = exp.experiment_id if exp else mlc.create_experiment(
        name, artifact_location=(artifact_root(mlc.tracking_uri) / study).as_uri())
    for line in sorted(ln for f in [*results.glob("trials-w*.jsonl"), *results.glob("trials.jsonl")] for ln in f.read_text().splitlines() if ln):
        t = json.loads(line)
        run = mlc.create_run(exp_id, run_name=f"trial-{t['number']:03d}", tags={"state": t["state"]})
        rid = run.info.run_id
        ms = [Metric(k, float(v), 0, h["epoch"]) for h in t["history"] for k, v in h.items() if k.startswith("val_")]
        if t["state"] == "COMPLETE":  # every val score of the best epoch (pairwise, peak1, top5, composite)
            ms += [Metric(f"best_{k}", float(v), 0, 0) for k, v in t["best_metrics"].items() if k.startswith("val_")]
            ms.append(Metric("seconds", float(t["seconds"]), 0, 0))
        mlc.log_batch(rid, metrics=ms, params=[Param(k, str(v)) for k, v in t["params"].items()])
        mlc.set_terminated(rid, "FINISHED" if t["state"] == "COMPLETE" else "KILLED")
    return exp_id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, required=True)
    ap.add_argument("--stage", type=Path, required=True)
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--no-mlflow", action="store_true")
    ap.add_argument("--study", default="gcn_topk-study", help="MLflow experiment of the study's trials "
                    "(tircost-bench/SUITE/STUDY; the focused study of 0.4: gcn_topk-study-2)")
    ap.add_argument("--only-mlflow", action="store_true", help="log the study's trials and stop (RESULTS may be "
                    "submissions/gcn_topk/study/<suite>, which ships them as trials.jsonl)")
    ap.add_argument("--dest", type=Path, default=None, help="checkpoint root (default: the submission's; "
                    "another root leaves submission.json alone, for rehearsals)")
    ap.add_argument("--command", default="python3 tools/device/gcn_train_gpu.py all --data STAGE --out RESULTS")
    a = ap.parse_args()
    from tircost_bench.evaluation.lofo import Fold, score, summary
    from tircost_bench.suite.loader import LabeledPrograms, load_suite

    if a.only_mlflow:
        print("mlflow experiment", log_study(a.results, a.suite, a.study))
        return
    suite = load_suite(a.suite)
    meta = json.loads((a.stage / "meta.json").read_text())
    programs = {s: suite.labeled(s) for s in ("train", "val")}
    by_uid = {p.uid: p for s in programs for p in programs[s].programs}
    lat_by_uid = {p.uid: x for s in programs for p, x in zip(programs[s].programs, programs[s].latencies)}
    if not a.no_mlflow:
        print("mlflow experiment", log_study(a.results, suite.name, a.study))
    registered, by_seed = {}, {}
    for res in a.results.glob("seed*/"):  # seed<k>/ or the members seed<k>-m<j>/
        seed, member = re.fullmatch(r"seed(\d+)(?:-m(\d+))?", res.name).groups()
        by_seed.setdefault(int(seed), []).append((int(member or 0), res))
    for seed, members in sorted(by_seed.items()):
        dirs = [res for _, res in sorted(members)]
        out = (a.dest or SUBMISSION / "checkpoints") / suite.name / f"seed{seed}"
        r = write_checkpoint(dirs, a.stage, meta, suite, by_uid, out, a.command)
        registered[str(seed)] = f"checkpoints/{suite.name}/seed{seed}"
        print(f"seed{seed} ({len(dirs)} member(s)): val {r['params'].get('select', 'pairwise')} {r['best_val']:.4f}, "
              f"epoch {r['best_epoch']}, {r['stop']} -> {out}")
    lofo = []
    for res in sorted(a.results.glob("lofo-*/")):
        r = json.loads((res / "result.json").read_text())
        if not r.get("held_uids"):
            continue  # a rehearsal slice without the family
        f = next(f for f in meta["folds"] if f["name"] == r["fold"])
        fold = Fold(f["name"], f["kind"], tuple(f["members"]), tuple(f["task_ids"]))
        held = LabeledPrograms([by_uid[u] for u in r["held_uids"]], np.array([lat_by_uid[u] for u in r["held_uids"]]))
        lofo.append(summary(fold, score(suite, fold, held, np.exp(np.asarray(r["held_z"]))), r["n_train"]))
        print(lofo[-1])
    (a.results / "lofo.json").write_text(json.dumps(lofo, indent=1))
    if a.dest is not None:
        return
    sub = json.loads((SUBMISSION / "submission.json").read_text())
    sub["checkpoints"][suite.sha256] = registered
    (SUBMISSION / "submission.json").write_text(json.dumps(sub, indent=2) + "\n")


if __name__ == "__main__":
    main()
