"""Train gcn_topk on a GPU from the arrays gcn_export.py wrote: an Optuna study, then 5 seeds and LOFO folds.

    python3 gcn_train_gpu.py all --data STAGE --out RESULTS [--study-seconds 200 --workers 10]
    python3 gcn_train_gpu.py train --data STAGE --out DIR --params '{...}' --seed 0 [--member M] [--fold NAME]

Needs numpy, torch, torch_geometric (and optuna for the study); no TVM, no gensim. The network, batching and
losses are the submission's own (gcn_topk_model.py), so the state dict loads with GCNTopKPredictor.load.
Validation is the suite's val split; early stopping on a mean per-task val score (`select`: pairwise or
composite, the mean of pairwise, peak@1 and top-5 recall). Study trials
run in parallel processes sharing an Optuna journal; every trial's params, history and val metrics are
written as JSON (RESULTS/trials.jsonl) to be logged into MLflow on the CPU side.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
for p in (HERE, HERE.parents[1] / "submissions" / "gcn_topk", Path.cwd()):
    sys.path.append(str(p))
from gcn_topk_model import Batch, GCNTopK, member_seed, task_batches, task_z, training_loss, val_scores

DEFAULTS = {"conv": "graph", "hidden": 64, "layers": 3, "pool_ratio": 0.8, "dropout": 0.1, "readout": "sum",
            "numeric": True, "freeze_embedding": True, "embedding": "word2vec", "emb_dim": 16, "lr": 2e-3,
            "weight_decay": 1e-5, "rank_weight": 1.0, "loss": "huber_pair", "per_task": 16,
            "tasks_per_batch": 8, "lr_schedule": "const", "select": "pairwise", "top_share": 0.0,
            "temperature": 0.5, "program_features": False}


class Data:
    """All train/val graphs resident on the device; batches are gathered there (no host collate)."""

    def __init__(self, stage: Path, device: str, kind: str, dim: int, seed: int) -> None:
        self.meta = json.loads((stage / "meta.json").read_text())
        a = np.load(stage / "graphs.npz")
        emb = stage / f"emb-{kind}{dim}-s{seed}"
        self.vectors = torch.from_numpy(np.load(emb / "embedding.npy"))
        rows = np.load(emb / "rows.npy").astype(np.int64)
        dev = torch.device(device)
        self.dev = dev
        mean, std = (np.asarray(self.meta[k], np.float32) for k in ("feature_mean", "feature_std"))
        self.num = torch.from_numpy((a["feat"] - mean) / std).to(dev)  # float32, as pack() computes it
        self.tok = torch.from_numpy(rows[a["tok"].astype(np.int64)]).to(dev)
        self.edges = torch.from_numpy(a["edges"].astype(np.int64)).to(dev)
        self.n_nodes = torch.from_numpy(a["n_nodes"].astype(np.int64)).to(dev)
        self.n_edges = torch.from_numpy(a["n_edges"].astype(np.int64)).to(dev)
        self.node_start = torch.cumsum(self.n_nodes, 0) - self.n_nodes
        self.edge_start = torch.cumsum(self.n_edges, 0) - self.n_edges
        self.task, self.log_lat, self.is_val, self.uid = a["task"], a["log_lat"], a["is_val"], a["uid"]
        self.prog = None  # program summaries (gcn_export.py --programs), standardized as the predictor does
        if (stage / "programs.npz").exists():
            q = np.load(stage / "programs.npz")
            if not np.array_equal(q["uid"], self.uid):
                raise SystemExit(f"{stage}/programs.npz does not match graphs.npz: export both again")
            self.prog_mean, self.prog_std = q["mean"], q["std"]
            self.prog = torch.from_numpy((q["prog"] - q["mean"]) / q["std"]).to(dev)

    def batch(self, gidx: np.ndarray) -> Batch:
        g = torch.from_numpy(np.asarray(gidx, np.int64)).to(self.dev)
        nn_, ne = self.n_nodes[g], self.n_edges[g]
        ar = torch.arange(g.numel(), device=self.dev)
        node_graph = torch.repeat_interleave(ar, nn_)
        node_off = torch.cumsum(nn_, 0) - nn_
        nodes = self.node_start[g][node_graph] + torch.arange(node_graph.numel(), device=self.dev) - node_off[node_graph]
        edge_graph = torch.repeat_interleave(ar, ne)
        e_off = torch.cumsum(ne, 0) - ne
        eids = self.edge_start[g][edge_graph] + torch.arange(edge_graph.numel(), device=self.dev) - e_off[edge_graph]
        src = self.edges[0, eids] + node_off[edge_graph]
        dst = self.edges[1, eids] + node_off[edge_graph]
        ei = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])  # reverse edges, as pack() adds them
        return Batch(self.tok[nodes], self.num[nodes], ei, node_graph, int(g.numel()),
                     None if self.prog is None else self.prog[g])


def build_model(data: Data, p: dict) -> GCNTopK:
    if p["program_features"] and data.prog is None:
        raise SystemExit("program_features needs STAGE/programs.npz: run gcn_export.py with --programs")
    model = GCNTopK(data.vectors.shape[0], data.vectors.shape[1], data.num.shape[1] if p["numeric"] else 0,
                    p["hidden"], p["conv"], p["layers"], p["pool_ratio"], p["dropout"], p["freeze_embedding"],
                    p["readout"], data.prog.shape[1] if p["program_features"] else 0)
    with torch.no_grad():
        model.emb.weight.copy_(data.vectors)
    return model.to(data.dev)


@torch.no_grad()
def predict(model: GCNTopK, data: Data, idx: np.ndarray, bs: int = 2048) -> np.ndarray:
    model.eval()
    out = [model(data.batch(idx[s:s + bs])).float().cpu().numpy() for s in range(0, idx.size, bs)]
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def train(data: Data, p: dict, seed: int, train_idx: np.ndarray, val_idx: np.ndarray, max_epochs: int,
          patience: int, max_seconds: float, on_epoch=None, keep: str = "best", swa_start: int | None = None, log_every: int = 0,
          report_idx: np.ndarray | None = None, stop_epoch: int | None = None,
          val_z_by_epoch: list | None = None) -> dict:
    """Adam on same-task batches. `keep`: the weights returned - "best" (the epoch best on
    val_scores()[p["select"]], early stopping after `patience` epochs without gain), "last" (the final epoch) or
    "swa" (the running mean of the weights from epoch `swa_start` on). "last" and "swa" run every epoch and never
    look at val to choose, so they can train on train+val (`val_idx` empty: no val scores are kept).
    `report_idx`: programs scored every epoch as report_* and never used to choose (a held-back half of val).
    `stop_epoch`: end after that epoch (the lr schedule still spans `max_epochs`): a refit for as many epochs as
    early stopping chose elsewhere."""
    if keep not in ("best", "last", "swa"):
        raise ValueError(f"keep={keep!r}: use best, last or swa")
    if keep == "best" and val_idx.size == 0:
        raise ValueError("keep='best' selects on val, which is empty here (a refit): use keep='last' or 'swa'")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_model(data, p)
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.Adam(params, lr=p["lr"], weight_decay=p["weight_decay"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max_epochs) if p["lr_schedule"] == "cosine" else None
    tid = data.task[train_idx]
    z_np = task_z(data.log_lat[train_idx], tid).astype(np.float32)
    z = torch.from_numpy(z_np).to(data.dev)
    averaged = WeightAverage(model) if keep == "swa" or swa_start is not None else None  # or only reported
    swa_start = max_epochs * 2 // 3 if swa_start is None else swa_start
    best, best_state, bad, hist, stop = -np.inf, None, 0, [], "max_epochs"
    t0 = time.perf_counter()
    for epoch in range(max_epochs):
        model.train()
        losses = []
        for idx, groups in task_batches(tid, rng, p["per_task"], p["tasks_per_batch"], z_np, p["top_share"]):
            pred = model(data.batch(train_idx[idx]))
            loss = training_loss(pred, z[torch.from_numpy(idx).to(data.dev)], torch.from_numpy(groups).to(data.dev),
                                 p["loss"], p["rank_weight"], p["temperature"])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            losses.append(loss.detach())
        if sched is not None:
            sched.step()
        if averaged is not None and epoch >= swa_start:
            averaged.add(model)
        row = {"epoch": epoch, "loss": float(torch.stack(losses).mean()), "seconds": time.perf_counter() - t0}
        vm = {p["select"]: 0.0}
        if val_idx.size:
            z_val = predict(model, data, val_idx)
            if val_z_by_epoch is not None:  # for post-hoc studies of epoch choice (snapshot ensembles)
                val_z_by_epoch.append(z_val.astype(np.float32).tolist())
            vm = scores_of(z_val, data, val_idx)
            row.update({f"val_{k}": v for k, v in vm.items()})
            if averaged is not None and averaged.n:
                swa = scores_of(predict(averaged.model, data, val_idx), data, val_idx)
                row.update({f"val_swa_{k}": v for k, v in swa.items()})
        if report_idx is not None and report_idx.size:
            rep = scores_of(predict(model, data, report_idx), data, report_idx)
            row.update({f"report_{k}": v for k, v in rep.items()})
        hist.append(row)
        if log_every and (epoch + 1) % log_every == 0:  # progress for the logs a device run is polled by
            print(" ".join(f"{k} {v:.4g}" for k, v in row.items() if k in ("epoch", "loss", "seconds") or
                           k.endswith(p["select"])), flush=True)
        if vm[p["select"]] > best:
            best, bad = vm[p["select"]], 0
            if keep == "best":
                best_state = cpu_state(model)
        else:
            bad += 1
        if on_epoch is not None:
            on_epoch(epoch, vm[p["select"]])  # raises optuna.TrialPruned to stop a poor trial
        if epoch == stop_epoch:
            stop = "stop_epoch"
            break
        if keep == "best" and bad >= patience:
            stop = "early_stopping"
            break
        if time.perf_counter() - t0 > max_seconds:
            stop = "time_cap"
            break
    if keep == "swa" and not averaged.n:
        raise RuntimeError(f"keep='swa': stopped at epoch {epoch} before swa_start {swa_start}; nothing averaged")
    state = best_state if keep == "best" else cpu_state(averaged.model if keep == "swa" else model)
    model.load_state_dict(state)
    key = f"val_{p['select']}"
    best_epoch = int(np.argmax([h[key] for h in hist])) if val_idx.size else len(hist) - 1
    kept = hist[best_epoch if keep == "best" else -1]
    kept_val = kept.get(f"val_swa_{p['select']}" if keep == "swa" else key, float("nan"))
    return {"model": model, "state": state, "history": hist, "best_val": float(kept_val), "stop": stop,
            "best_epoch": best_epoch, "best_metrics": hist[best_epoch], "seconds": time.perf_counter() - t0,
            "keep": keep, "swa_start": swa_start if averaged is not None else None,
            "swa_epochs": averaged.n if averaged is not None else 0}


class WeightAverage:
    """Running mean of a model's float weights (stochastic weight averaging, without BatchNorm to refresh:
    the network has none); `model` is a copy holding the mean, for scoring."""

    def __init__(self, model: GCNTopK) -> None:
        import copy

        self.model, self.n = copy.deepcopy(model), 0

    @torch.no_grad()
    def add(self, model: GCNTopK) -> None:
        self.n += 1
        for mine, theirs in zip(self.model.state_dict().values(), model.state_dict().values()):
            if mine.is_floating_point():
                mine.add_((theirs - mine) / self.n) if self.n > 1 else mine.copy_(theirs)
            else:
                mine.copy_(theirs)


def cpu_state(model: torch.nn.Module) -> dict:
    """A copy of the model's weights on the CPU (what model.pt holds)."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def scores_of(z: np.ndarray, data: Data, idx: np.ndarray) -> dict[str, float]:
    """val_scores of predictions `z` for the programs `idx` (their own tasks and measured latencies)."""
    return val_scores(z, np.exp(data.log_lat[idx]), data.task[idx])


def fold_masks(data: Data, fold: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    held = np.zeros(data.task.size, bool)
    if fold:
        f = next(f for f in data.meta["folds"] if f["name"] == fold)
        names = set(f["task_ids"])
        held = np.array([data.meta["tasks"][t] in names for t in data.task])
    tr = np.flatnonzero(~data.is_val & ~held)
    va = np.flatnonzero(data.is_val & ~held)
    return tr, va, np.flatnonzero(held)


def val_roles(data: Data, tr: np.ndarray, va: np.ndarray, fit_file: Path | None,
              report_file: Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Val tasks named in `fit_file` (a JSON list of task ids) join training; those in `report_file` are only
    reported (scored each epoch, never chosen on); the rest of val stays what early stopping selects on."""
    names = np.array(data.meta["tasks"])[data.task[va]] if va.size else np.array([], str)
    fit, report = (set(json.loads(f.read_text())) if f else set() for f in (fit_file, report_file))
    if fit & report:
        raise SystemExit(f"--fit-val-tasks and --report-tasks share {len(fit & report)} task(s)")
    unknown = (fit | report) - set(names.tolist())
    if unknown:
        raise SystemExit(f"{len(unknown)} task(s) of --fit-val-tasks/--report-tasks are not val tasks here, "
                         f"e.g. {min(unknown)}")
    in_fit, in_report = np.isin(names, list(fit)), np.isin(names, list(report))
    return np.concatenate([tr, va[in_fit]]), va[~in_fit & ~in_report], va[in_report]


def cmd_train(a: argparse.Namespace) -> None:
    """One final model (a seed, or a LOFO fold): to convergence, saved with its val predictions."""
    p = {**DEFAULTS, **json.loads(a.params)}
    # Each seed's own embedding fit where one was exported, else seed 0's (recorded in the result).
    emb_seed = a.seed if (a.data / f"emb-{p['embedding']}{p['emb_dim']}-s{a.seed}").is_dir() else 0
    data = Data(a.data, a.device, p["embedding"], p["emb_dim"], emb_seed)
    tr, va, held = fold_masks(data, a.fold)
    fit_tr, fit_va = (np.concatenate([tr, va]), va[:0]) if a.refit else (tr, va)  # refit: val trains too
    fit_tr, fit_va, report = val_roles(data, fit_tr, fit_va, a.fit_val_tasks, a.report_tasks)
    val_z: list | None = [] if a.save_val_z else None
    r = train(data, p, member_seed(a.seed, a.member), fit_tr, fit_va, a.max_epochs, a.patience, a.max_seconds,
              keep=a.keep, swa_start=a.swa_start, log_every=1, report_idx=report, stop_epoch=a.stop_epoch,
              val_z_by_epoch=val_z)
    a.out.mkdir(parents=True, exist_ok=True)
    torch.save(r["state"], a.out / "model.pt")
    check = va[:64]  # CPU/GPU agreement: these programs' predictions travel with the checkpoint
    info = {k: r[k] for k in ("history", "best_val", "stop", "best_epoch", "best_metrics", "seconds", "keep",
                              "swa_start", "swa_epochs")}
    info.update(params=p, max_epochs=a.max_epochs, patience=a.patience, max_seconds=a.max_seconds, seed=a.seed, member=a.member, embedding_seed=emb_seed, fold=a.fold, n_train=int(fit_tr.size), n_val=int(fit_va.size),
                refit=a.refit,
                device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                torch=torch.__version__, check_uids=data.uid[check].tolist(),
                check_z=predict(r["model"], data, check).tolist())
    if val_z is not None:
        info.update(val_tasks=np.array(data.meta["tasks"])[data.task[fit_va]].tolist(),
                    val_log_lat=data.log_lat[fit_va].tolist(), val_z_by_epoch=val_z)
    if p["program_features"]:  # the standardization the checkpoint must apply on CPU
        info.update(program_mean=data.prog_mean.tolist(), program_std=data.prog_std.tolist())
    if a.fold:
        info.update(held_uids=data.uid[held].tolist(), held_z=predict(r["model"], data, held).tolist())
    (a.out / "result.json").write_text(json.dumps(info))
    print(f"{a.out.name}: kept the {r['keep']} weights, val {p['select']} {r['best_val']:.4f} (best epoch "
          f"{r['best_epoch']}; {r['stop']}, {r['seconds']:.0f}s{', refit on train+val' if a.refit else ''})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["all", "study", "train"])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--params", default="{}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fold", default=None)
    ap.add_argument("--member", type=int, default=0, help="train: ensemble member (its own torch/numpy seed)")
    ap.add_argument("--members", type=int, default=1, help="all: members per seed (GCNEnsemble)")
    ap.add_argument("--keep", choices=["best", "last", "swa"], default="best",
                    help="weights kept: best on val (early stopping), the last epoch's, or their running mean")
    ap.add_argument("--swa-start", type=int, default=None,
                    help="first epoch averaged (default 2/3 of --max-epochs); given with --keep best, val also "
                         "scores the average each epoch")
    ap.add_argument("--refit", action="store_true",
                    help="train: fit on train+val (no val to select on; needs --keep last or swa)")
    ap.add_argument("--fit-val-tasks", type=Path, default=None,
                    help="train: JSON list of val task ids that join training (split-half refit experiments)")
    ap.add_argument("--report-tasks", type=Path, default=None,
                    help="train: JSON list of val task ids scored each epoch as report_*, never selected on")
    ap.add_argument("--save-val-z", action="store_true",
                    help="train: keep every epoch's val predictions in result.json (val_z_by_epoch)")
    ap.add_argument("--stop-epoch", type=int, default=None,
                    help="train: end after this epoch; the lr schedule still spans --max-epochs")
    ap.add_argument("--max-epochs", type=int, default=60)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--max-seconds", type=float, default=240.0)
    ap.add_argument("--study-seconds", type=float, default=200.0)
    ap.add_argument("--trial-epochs", type=int, default=20)
    ap.add_argument("--trial-seconds", type=float, default=75.0)
    ap.add_argument("--workers", type=int, default=10)
    ap.add_argument("--no-lofo", action="store_true", help="all: train the seeds only, no LOFO folds")
    ap.add_argument("--space", choices=["wide", "focused", "top", "program"], default="wide")
    ap.add_argument("--study-name", default="gcn_topk-h100")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    a = ap.parse_args()
    if a.device == "cpu":
        torch.set_num_threads(1)  # rehearsal on a shared CPU: parallel processes, one thread each
    torch.backends.cuda.matmul.allow_tf32 = False  # predictions must match the CPU's float32 to ~1e-5
    torch.backends.cudnn.allow_tf32 = False
    from gcn_study import cmd_all, cmd_study  # the study and the orchestration (imports this module back)

    {"all": cmd_all, "study": cmd_study, "train": cmd_train}[a.mode](a)


if __name__ == "__main__":
    main()
