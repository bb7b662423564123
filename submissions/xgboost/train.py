"""Fit a submission on a suite's train split, report val metrics, save + register checkpoints.

    nice -n 19 python submissions/xgboost/train.py cpu-epyc2 --seeds 0 1 2
    nice -n 19 python submissions/xgboost/train.py cpu-epyc2 --compare          # objectives on val
    nice -n 19 python submissions/xgboost/train.py cpu-epyc2 --submission baselines/tvm_xgb

Checkpoints go to <submission>/checkpoints/<suite>/seed<k>/ and are registered in submission.json under the
suite's sha256. Works for any submission folder (it only uses the Predictor interface).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.metrics import TaskPredictions, compute_metrics
from tircost_bench.predictors.interface import Predictor
from tircost_bench.predictors.submission import load_submission
from tircost_bench.representations.features import warm_suite
from tircost_bench.suite.loader import LabeledPrograms, load_suite

HERE = Path(__file__).resolve().parent
METRICS = ["pairwise_accuracy", "peak_score@1", "peak_score@5", "top_k_recall@5", "rmse_z"]


def split_report(predictor: Predictor, split: LabeledPrograms) -> dict[str, float]:
    """Per-task metrics of `predictor` on a labelled split, averaged over tasks."""
    pred = predictor.predict(split.programs)
    tids = split.task_ids
    tasks = [TaskPredictions(str(t), split.latencies[tids == t], pred[tids == t], {}) for t in np.unique(tids)]
    return compute_metrics(tasks, METRICS).overall


def train_one(folder: Path, suite_name: str, seed: int, parameters: dict[str, Any] | None = None,
              save: bool = True) -> tuple[Predictor, dict[str, Any]]:
    sub = load_submission(folder)
    suite = load_suite(suite_name)
    train, valid = suite.labeled("train"), suite.labeled("val")
    predictor = sub.predictor_class()(seed=seed, **{**sub.meta.parameters, **(parameters or {})})
    t0 = time.perf_counter()
    predictor.fit(train, valid)
    info: dict[str, Any] = {"seed": seed, "fit_s": round(time.perf_counter() - t0, 1),
                            "n_train": len(train), "n_val": len(valid)}
    if len(valid):
        info["val"] = split_report(predictor, valid)
    if save:
        rel = f"checkpoints/{suite.name}/seed{seed}"
        (sub.folder / rel).mkdir(parents=True, exist_ok=True)
        predictor.save(sub.folder / rel)
        meta = load_submission(folder).meta  # re-read: another seed may have registered meanwhile
        meta.checkpoints.setdefault(suite.sha256, {})[str(seed)] = rel
        meta.write(sub.folder)
        info["checkpoint"] = rel
    return predictor, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suite")
    ap.add_argument("--submission", default=str(HERE))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--compare", action="store_true",
                    help="fit each objective (xgboost submission) and print val metrics; saves nothing")
    args = ap.parse_args()
    if args.compare and Path(args.submission).resolve() != HERE:
        ap.error("--compare sweeps this submission's `objective`; other submissions have no such parameter")

    t0 = time.perf_counter()
    n = warm_suite(load_suite(args.suite))  # featurize once, into the disk cache
    print(f"features: {n} programs ready in {time.perf_counter() - t0:.1f} s")
    if args.compare:
        for objective in ("rank:pairwise", "reg:weighted"):
            for seed in args.seeds:
                _, info = train_one(Path(args.submission), args.suite, seed, {"objective": objective}, save=False)
                print(json.dumps({"objective": objective, **info}))
        return
    for seed in args.seeds:
        _, info = train_one(Path(args.submission), args.suite, seed)
        print(json.dumps(info))


if __name__ == "__main__":
    main()
