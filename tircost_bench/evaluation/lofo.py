"""Leave-one-family-out validation: hold out every train/val task of one architecture or operator family.

A model that ranks well only on shapes it has seen is not the goal; this measures ranking on workloads of a
family the model never trained on. Only train and val labels are used (test labels stay with the evaluator):
the held-out tasks are train/val tasks of the family; the model trains on the rest of train, early-stops on
the rest of val, and is scored on the held-out tasks with the suite's metrics.

    from tircost_bench.evaluation.lofo import default_folds, run_fold
    report = run_fold(lambda: MyPredictor(seed=0), suite, default_folds(suite)[0])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tircost_bench.metrics import MetricReport, TaskPredictions, compute_metrics
from tircost_bench.predictors.interface import Predictor
from tircost_bench.suite.loader import LabeledPrograms, Suite

REPORTED = ("pairwise_accuracy", "peak_score@1", "top_k_recall@5", "network_score@1", "rmse_z")

# Families of the h100 zoo (networks as the suite names them, op families as tasks.json names them).
DEFAULT_FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("transformers", "network", ("vit_b16-b1", "gpt2-b1", "mlp_mixer_b16-b1")),
    ("r3d_18 (3-D convs)", "network", ("r3d_18-b1",)),
    ("depthwise_conv2d", "op_family", ("depthwise_conv2d",)),
)


@dataclass(frozen=True)
class Fold:
    name: str
    kind: str  # "network": tasks used by any of `members`; "op_family": tasks of those op families
    members: tuple[str, ...]
    task_ids: tuple[str, ...]  # held-out train/val tasks, sorted


def make_fold(suite: Suite, name: str, kind: str, members: Sequence[str]) -> Fold:
    known = set(suite.split_tasks["train"]) | set(suite.split_tasks["val"])
    if kind == "network":
        held = {t for t in known if any(u.network in members for u in suite.tasks[t].uses)}
    elif kind == "op_family":
        held = {t for t in known if suite.tasks[t].op_family in members}
    else:
        raise ValueError(f"fold kind {kind!r}: use 'network' or 'op_family'")
    if not held:
        raise ValueError(f"fold {name!r}: no train/val task of {kind} {list(members)} in suite {suite.name}")
    return Fold(name, kind, tuple(members), tuple(sorted(held)))


def default_folds(suite: Suite) -> list[Fold]:
    return [make_fold(suite, *f) for f in DEFAULT_FAMILIES]


def _select(lp: LabeledPrograms, keep: np.ndarray) -> LabeledPrograms:
    return LabeledPrograms([p for p, k in zip(lp.programs, keep) if k], lp.latencies[keep])


def split_fold(suite: Suite, fold: Fold) -> tuple[LabeledPrograms, LabeledPrograms, LabeledPrograms]:
    """(train without the family, val without the family, the family's train+val programs)."""
    held = set(fold.task_ids)
    train, val = suite.labeled("train"), suite.labeled("val")
    in_tr = np.isin(train.task_ids, list(held))
    in_va = np.isin(val.task_ids, list(held)) if len(val) else np.zeros(0, bool)
    out = _select(train, in_tr)
    if len(val):
        o2 = _select(val, in_va)
        out = LabeledPrograms(out.programs + o2.programs, np.concatenate([out.latencies, o2.latencies]))
    return _select(train, ~in_tr), (_select(val, ~in_va) if len(val) else val), out


def score(suite: Suite, fold: Fold, held: LabeledPrograms, predicted: np.ndarray) -> MetricReport:
    """The suite's metrics on the held-out tasks; network scores over the fold's networks (network folds) or
    every network that uses a held-out task (op-family folds)."""
    tids = held.task_ids
    tasks = []
    for t in np.unique(tids):
        m = tids == t
        uses = suite.tasks[t].uses
        weights = {u.network: u.weight for u in uses if fold.kind != "network" or u.network in fold.members}
        tasks.append(TaskPredictions(str(t), held.latencies[m], np.asarray(predicted, np.float64)[m], weights))
    return compute_metrics(tasks)


def run_fold(make_predictor: Callable[[], Predictor], suite: Suite, fold: Fold) -> dict:
    """Fit a fresh predictor without the family, score it on the family; a JSON-ready summary."""
    train, val, held = split_fold(suite, fold)
    pred = make_predictor()
    pred.fit(train, val)
    report = score(suite, fold, held, pred.predict(held.programs))
    return summary(fold, report, len(train))


def summary(fold: Fold, report: MetricReport, n_train: int) -> dict:
    return {"fold": fold.name, "kind": fold.kind, "members": list(fold.members), "n_tasks": report.n_tasks,
            "n_programs": report.n_programs, "n_train": n_train,
            **{k: report.overall.get(k, float("nan")) for k in REPORTED}}
