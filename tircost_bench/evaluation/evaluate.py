"""Score one submission on a suite's test split over several seeds.

The test labels are read here (`read_test_labels`, a local of `evaluate`) and never leave this process;
the submission's code runs in a separate worker process (evaluation.host) that receives test programs
without labels and returns predictions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.evaluation.host import SubmissionCallError, check_submission_folder, open_host
from tircost_bench.evaluation.results import (
    STATUS_FAILED,
    Counts,
    EvaluationResult,
    SeedResult,
    SubmissionRef,
    SuiteRef,
    aggregate,
    environment,
    git_commit,
    git_toplevel,
)
from tircost_bench.metrics import TaskPredictions, compute_metrics
from tircost_bench.predictors import lifecycle
from tircost_bench.predictors.provenance import CheckpointError
from tircost_bench.predictors.submission import Submission, load_submission
from tircost_bench.progress import stage
from tircost_bench.suite.labels import read_test_labels
from tircost_bench.suite.loader import Suite, load_suite
from tircost_bench.suite.splits import base_network


class EvaluationError(RuntimeError):
    """An evaluation could not be scored; the message names the submission and the problem."""


class InvalidPredictionsError(EvaluationError):
    """predict() returned something the metrics cannot score."""


@dataclass
class SeedPredictions:
    """What a seed predicted, kept for artifacts and plots (uids in test order)."""

    seed: int
    predicted: np.ndarray


def validate_predictions(values: Any, n: int, who: str) -> np.ndarray:
    """float64, 1-D, n values, all finite and > 0; else InvalidPredictionsError naming `who` and the problem."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidPredictionsError(f"{who}: predict returned values not convertible to float64 ({err})") from None
    if arr.ndim != 1:
        raise InvalidPredictionsError(f"{who}: predict returned an array of shape {arr.shape}; expected ({n},)")
    if arr.size != n:
        raise InvalidPredictionsError(f"{who}: predict returned {arr.size} values for {n} programs")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise InvalidPredictionsError(
            f"{who}: predict returned {bad.size} non-finite value(s), first {arr[bad[0]]} at index {bad[0]}")
    bad = np.flatnonzero(arr <= 0)
    if bad.size:
        raise InvalidPredictionsError(
            f"{who}: predict returned {bad.size} value(s) <= 0 (latencies in seconds), first {arr[bad[0]]} "
            f"at index {bad[0]}")
    return arr


def held_out_weights(suite: Suite, task_id: str) -> dict[str, int]:
    """The task's occurrences in held-out networks only: network scores are about unseen networks."""
    held = set(suite.manifest.held_out_networks)
    weights: dict[str, int] = {}
    for use in suite.tasks[task_id].uses:
        if base_network(use.network) in held:
            weights[use.network] = weights.get(use.network, 0) + use.weight
    return weights


def task_predictions(suite: Suite, task_ids: np.ndarray, measured: np.ndarray,
                     predicted: np.ndarray, measured_se: np.ndarray | None = None) -> list[TaskPredictions]:
    out = []
    for tid in dict.fromkeys(task_ids.tolist()):
        sel = task_ids == tid
        se = None if measured_se is None else measured_se[sel]
        out.append(TaskPredictions(tid, measured[sel], predicted[sel], held_out_weights(suite, tid), se))
    return out


def run_seed(host: Any, submission: Submission, suite: Suite, seed: int, retrain: bool,
             test_programs: list[Any]) -> tuple[SeedResult, np.ndarray]:
    """One seed: load-or-fit (predictors.lifecycle), then predict, every call in `host`."""
    who = f"{submission.name} {submission.meta.version} (seed {seed})"
    host.who = who
    try:
        prepared = lifecycle.load_or_fit(host, submission, suite, seed, retrain, who)
    except CheckpointError as err:
        raise EvaluationError(str(err)) from err
    result = SeedResult(seed, None, fit_seconds=prepared.fit_seconds, trained=prepared.trained,
                        checkpoint_used=bool(prepared.checkpoint), checkpoint=prepared.checkpoint)
    with stage(f"{who}: predict {len(test_programs)} programs"):
        start = time.perf_counter()
        raw = host.predict(seed, test_programs)
        result.predict_seconds = time.perf_counter() - start
    return result, validate_predictions(raw, len(test_programs), who)


def new_result(submission: Submission, suite: Suite, retrain: bool) -> EvaluationResult:
    sub_top = git_toplevel(submission.folder)
    from tircost_bench.paths import PROJECT_ROOT

    own_repo = bool(sub_top) and Path(sub_top).resolve() != PROJECT_ROOT.resolve()
    return EvaluationResult(
        suite=SuiteRef(suite.name, suite.manifest.version, suite.sha256, str(suite.path.resolve())),
        submission=SubmissionRef(submission.name, submission.meta.version, str(submission.folder),
                                 dict(submission.meta.parameters),
                                 git_commit(submission.folder) if own_repo else ""),
        environment=environment(),
        retrain=retrain,
    )


def evaluate(submission: Submission | str | Path, suite: Suite | str | None = None, seeds: int = 3,
             retrain: bool = False, progress: bool = True,
             keep: list[SeedPredictions] | None = None,
             time_limit_sec: float | None = None, isolation: str = "auto",
             memory_limit: int | None = None) -> EvaluationResult:
    """Evaluate over seeds 0..seeds-1. Submission code runs in one confined worker process for all seeds
    (`isolation`: auto | landlock | process | none; see evaluation.host), each call limited to
    `time_limit_sec` and the worker's memory to `memory_limit` bytes. Raises EvaluationError (with the
    partial result attached as `.result`, status "failed", cause and traceback) when a seed cannot be
    scored. `keep` collects each seed's predictions."""
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}")
    sub = submission if isinstance(submission, Submission) else load_submission(submission)
    st = suite if isinstance(suite, Suite) else load_suite(suite)
    result = new_result(sub, st, retrain)
    labels = read_test_labels(st)  # the evaluator's own copy, local to this call
    try:
        if len(labels) == 0:
            raise EvaluationError(f"suite {st.name!r} has no test programs: nothing to score")
        test_programs = st.programs_of("test")
        task_ids = labels.task_ids
        result.counts = Counts(test_tasks=len(set(task_ids.tolist())), test_programs=len(labels),
                               failed_programs=dict(sorted(st.failed_counts("test").items())),
                               skipped_records=len(st.skipped))
        who = f"{sub.name} {sub.meta.version}"
        try:
            check_submission_folder(sub, [Path(f) for f in st.label_files])
            host = open_host(sub, who, isolation, time_limit_sec, memory_limit)  # --retrain fits, never saves
        except SubmissionCallError as err:
            raise EvaluationError(str(err)) from err
        result.isolation = host.isolation
        with host:
            for seed in range(seeds):
                try:
                    seed_result, predicted = run_seed(host, sub, st, seed, retrain, test_programs)
                except SubmissionCallError as err:
                    result.traceback = err.traceback
                    raise EvaluationError(str(err)) from err
                seed_result.report = compute_metrics(
                    task_predictions(st, task_ids, labels.latencies, predicted, labels.std_errors))
                result.seeds.append(seed_result)
                if keep is not None:
                    keep.append(SeedPredictions(seed, predicted))
    except EvaluationError as err:
        import traceback

        result.status, result.error = STATUS_FAILED, str(err)
        result.traceback = result.traceback or "".join(traceback.format_exception(err))
        err.result = result  # type: ignore[attr-defined]
        raise
    result.aggregate = aggregate([s.report for s in result.seeds if s.report is not None])
    return result
