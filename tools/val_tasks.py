"""Per-task val scores of several submissions side by side (shipped checkpoints, CPU): where one model's top
pick beats another's, without looking at test.

    python tools/val_tasks.py submissions/gcn_topk baselines/tvm_xgb --suite h100 --seeds 0 1 2 3 4 \
        --json-out val-tasks.json

Each submission predicts the val programs with its checkpoint for (suite, seed) (as search and evaluate load
it; one without a checkpoint is fitted on train/val), and every val task is scored per seed (pairwise,
peak@1, top-5 recall: the board's metrics, `compute_metrics`), then averaged over seeds. Printed: the mean
over tasks per submission, then the tasks ordered by the peak@1 difference of the first and the last
submission named (where the first trails most, first). Only train and val labels are read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.evaluation.evaluate import task_predictions
from tircost_bench.metrics.aggregate import compute_metrics
from tircost_bench.predictors.lifecycle import in_process_predictor
from tircost_bench.predictors.submission import load_submission
from tircost_bench.progress import stage
from tircost_bench.suite.loader import load_suite

METRICS = ("pairwise_accuracy", "peak_score@1", "top_k_recall@5")  # the board's, from the metrics registry


def task_scores(suite: Any, predicted: np.ndarray, latencies: np.ndarray,
                task_ids: np.ndarray) -> dict[str, dict[str, float]]:
    """{task: {metric: value}} of one prediction (predicted latencies, lower = faster)."""
    return compute_metrics(task_predictions(suite, task_ids, latencies, predicted), METRICS).per_task


def score_submission(folder: Path, suite: Any, val: Any, seeds: Sequence[int]) -> dict[str, dict[str, float]]:
    """{task: {metric: mean over seeds}} for one submission's val predictions."""
    sub = load_submission(folder)
    runs = []
    for seed in seeds:
        predictor, _ = in_process_predictor(sub, suite, seed)
        runs.append(task_scores(suite, np.asarray(predictor.predict(val.programs), dtype=np.float64), val.latencies,
                                val.task_ids))
    return {t: {k: float(np.nanmean([r[t][k] for r in runs])) for k in METRICS} for t in runs[0]}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submissions", nargs="+", type=Path)
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--json-out", type=Path, default=None)
    a = ap.parse_args(argv)
    suite = load_suite(a.suite)
    val = suite.labeled("val")
    names = [s.name for s in a.submissions]
    per: dict[str, dict[str, dict[str, float]]] = {}
    with stage("val per task", total=len(names)) as bar:
        for name, folder in zip(names, a.submissions):
            per[name] = score_submission(folder, suite, val, a.seeds)
            bar.advance(1)
    sizes = {str(t): int((val.task_ids == t).sum()) for t in np.unique(val.task_ids)}
    means = {n: {k: float(np.nanmean([v[k] for v in per[n].values()])) for k in METRICS} for n in names}
    for n in names:
        print(f"{n}: " + ", ".join(f"{k} {v:.4f}" for k, v in means[n].items()))
    first, last = names[0], names[-1]
    order = sorted(sizes, key=lambda t: per[first][t]["peak_score@1"] - per[last][t]["peak_score@1"])
    for t in order:
        cells = "  ".join(f"{n} {per[n][t]['peak_score@1']:.3f}/{per[n][t]['pairwise_accuracy']:.3f}" for n in names)
        print(f"{t[:56]:56s} n={sizes[t]:3d}  peak@1/pairwise: {cells}")
    command = "python tools/val_tasks.py " + " ".join(sys.argv[1:] if argv is None else argv)
    report = {"what": f"{a.suite} val split, {len(sizes)} tasks, seeds {a.seeds}, shipped checkpoints; per task "
                      "the mean over seeds", "command": command, "mean_over_tasks": means,
              "tasks": {t: {"programs": sizes[t], **{n: per[n][t] for n in names}} for t in order}}
    if a.json_out:
        a.json_out.write_text(json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
