"""Record evaluations in MLflow: one experiment per suite, a parent run per evaluation, a child run per seed.

MLflow is the browsing layer: the results file each evaluation writes into paths.runs_dir() (logged here as
an artifact too) is what the leaderboard reads.

MLflow 3.x: the file store raises, so the backend is sqlite at an absolute path (never the working
directory's default), with artifacts in an absolute folder next to the database.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np

from tircost_bench.evaluation.evaluate import EvaluationError, SeedPredictions, evaluate
from tircost_bench.evaluation.results import STATUS_FAILED, STATUS_OK, EvaluationResult, Stat, portable_path
from tircost_bench.evaluation.runs import predictions_path, save_run
from tircost_bench.paths import leaderboard_dir
from tircost_bench.predictors.submission import Submission, load_submission
from tircost_bench.suite.loader import Suite, load_suite

ROLE_EVALUATION = "evaluation"  # tag `role` of parent runs
ROLE_SEED = "seed"
# MLflow 3's UI opens an experiment on its GenAI traces page unless the experiment says it holds models.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
_MAX_TAG = 5000  # MLflow tag values are limited in length


def tracking_uri() -> str:
    """paths.mlflow_location(): MLFLOW_TRACKING_URI, else sqlite at leaderboard/mlflow.db (folder created)."""
    from tircost_bench.paths import mlflow_location

    uri = mlflow_location().path
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        leaderboard_dir().resolve().mkdir(parents=True, exist_ok=True)
    return uri


def artifact_root(uri: str) -> Path:
    """mlartifacts beside the sqlite database (leaderboard/mlartifacts by default)."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        db = Path(unquote(uri[len("sqlite:///"):]))
        return db.resolve().parent / "mlartifacts"
    return leaderboard_dir().resolve() / "mlartifacts"


def experiment_name(suite_name: str) -> str:
    return f"tircost-bench/{suite_name}"


def client() -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri())


def experiment_id(mlc: Any, suite_name: str, create: bool = True) -> str | None:
    name = experiment_name(suite_name)
    exp = mlc.get_experiment_by_name(name)
    if exp is not None:
        if not create or all(exp.tags.get(k) == v for k, v in EXPERIMENT_KIND.items()):
            return exp.experiment_id
        for k, v in EXPERIMENT_KIND.items():  # experiments made before the tag existed
            mlc.set_experiment_tag(exp.experiment_id, k, v)
        return exp.experiment_id
    if not create:
        return None
    location = artifact_root(mlc.tracking_uri) / suite_name
    location.mkdir(parents=True, exist_ok=True)
    try:
        return mlc.create_experiment(name, artifact_location=location.as_uri(), tags=EXPERIMENT_KIND)
    except Exception:
        exp = mlc.get_experiment_by_name(name)
        if exp is None:
            raise
        return exp.experiment_id


def metric_key(name: str) -> str:
    """MLflow-safe metric name: "top_k_recall@5" -> "top_k_recall_at_5"."""
    return re.sub(r"[^0-9A-Za-z_\-./ ]", "_", name.replace("@", "_at_"))


def aggregate_metrics(aggregate: dict[str, dict[str, Stat]]) -> dict[str, float]:
    """overall -> `<metric>_mean|_std`; weighted -> `weighted_<metric>_...`; network:<id> -> `<id>/<metric>_...`."""
    out: dict[str, float] = {}
    for section, stats in aggregate.items():
        prefix = "" if section == "overall" else ("weighted_" if section == "weighted"
                                                   else metric_key(section.split(":", 1)[1]) + "/")
        for m, s in stats.items():
            if not np.isnan(s.mean):
                out[f"{prefix}{metric_key(m)}_mean"] = s.mean
            if not np.isnan(s.std):
                out[f"{prefix}{metric_key(m)}_std"] = s.std
    return out


def log_metrics(mlc: Any, run_id: str, values: dict[str, float]) -> None:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    items = [Metric(k, float(v), now, 0) for k, v in sorted(values.items()) if np.isfinite(v)]
    for i in range(0, len(items), 1000):  # log_batch accepts at most 1000 metrics
        mlc.log_batch(run_id, metrics=items[i:i + 1000])


def log_dataset(mlc: Any, run_id: str, name: str, sha256: str, version: str, source: str) -> None:
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.sources import LocalArtifactDatasetSource
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.exceptions import MlflowException

    # MLflow caps dataset digests at 36 characters: the first 32 hex digits of the suite sha256, the
    # full one as an input tag (and as the run's suite_sha256 tag).
    ds = MetaDataset(LocalArtifactDatasetSource(source), name=name, digest=dataset_digest(sha256))
    inputs = [DatasetInput(ds._to_mlflow_entity(), [
        InputTag("mlflow.data.context", "test"), InputTag("suite_sha256", sha256),
        InputTag("suite_version", version)])]
    for attempt in range(3):
        try:
            mlc.log_inputs(run_id, datasets=inputs)
            return
        except MlflowException as err:
            # MLflow looks the dataset up, then inserts it: concurrent evaluations of one suite can both
            # insert, and the loser hits the unique constraint. Its retry finds the row and only links it.
            if "unique constraint" not in str(err).lower() or attempt == 2:
                raise


def dataset_digest(sha256: str) -> str:
    return sha256[:32]


def _params(sub: Submission, seeds: int, retrain: bool) -> dict[str, str]:
    p = {"seeds": str(seeds), "retrain": str(retrain)}
    for k, v in sorted(sub.meta.parameters.items()):
        p[f"param.{k}"] = json.dumps(v)[:6000]
    return p


def _write_predictions(path: Path, uids: list[int], task_ids: np.ndarray, measured: np.ndarray,
                       kept: list[SeedPredictions]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seed", "uid", "task", "predicted", "measured"])
        for sp in kept:
            for uid, tid, pred, meas in zip(uids, task_ids.tolist(), sp.predicted.tolist(), measured.tolist()):
                w.writerow([sp.seed, uid, tid, repr(pred), repr(meas)])


def log_seeds(mlc: Any, exp_id: str, parent: str, result: EvaluationResult, tags: dict[str, str]) -> None:
    for s in result.seeds:
        child = mlc.create_run(exp_id, run_name=f"seed-{s.seed}", tags={
            **tags, "role": ROLE_SEED, "seed": str(s.seed), "mlflow.parentRunId": parent})
        cid = child.info.run_id
        vals = {"fit_seconds": s.fit_seconds, "predict_seconds": s.predict_seconds,
                "checkpoint_used": float(s.checkpoint_used)}
        if s.report is not None:
            vals.update({metric_key(m): v for m, v in s.report.overall.items()})
            vals.update({f"weighted_{metric_key(m)}": v for m, v in s.report.weighted.items()})
        log_metrics(mlc, cid, vals)
        mlc.set_terminated(cid, "FINISHED")


def _log_artifacts(mlc: Any, run_id: str, result: EvaluationResult, suite: Suite,
                   kept: list[SeedPredictions]) -> Path:
    from tircost_bench.evaluation.plots import plot_seed

    # The run folder first: results.json then carries the predictions file's digest.
    saved = save_run(result, [p.uid for p in suite.programs_of("test")], [(k.seed, k.predicted) for k in kept])
    log_run_files(mlc, run_id, saved, result)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if kept:
            from tircost_bench.suite.labels import read_test_labels

            labels = read_test_labels(suite)
            uids = labels.uids.tolist()
            _write_predictions(out / "predictions.csv", uids, labels.task_ids, labels.latencies, kept)
            mlc.log_artifact(run_id, str(out / "predictions.csv"))
            title = f"{result.submission.name} {result.submission.version} on {suite.name}, seed {kept[0].seed}"
            for png in plot_seed(labels.task_ids, labels.latencies, kept[0].predicted, out / "plots", title):
                mlc.log_artifact(run_id, str(png), "plots")
    return saved


def log_run_files(mlc: Any, run_id: str, results_path: Path, result: EvaluationResult) -> None:
    """results.json and its predictions file as artifacts of the run."""
    mlc.log_artifact(run_id, str(results_path))
    pred = predictions_path(results_path, result)
    if pred is not None and pred.exists():
        mlc.log_artifact(run_id, str(pred))
    mlc.set_tag(run_id, "results_file", portable_path(results_path))


def evaluate_untracked(submission: Submission | str | Path, suite: Suite | str | None = None, seeds: int = 3,
                       retrain: bool = False, progress: bool = True,
                       time_limit_sec: float | None = None, **isolation: Any) -> EvaluationResult:
    """evaluate() that writes its run folder (results + predictions, failed runs too) but no MLflow run.
    `isolation` (isolation=, memory_limit=) goes to evaluate()."""
    sub = submission if isinstance(submission, Submission) else load_submission(submission)
    st = suite if isinstance(suite, Suite) else load_suite(suite)
    kept: list[SeedPredictions] = []
    uids = [p.uid for p in st.programs_of("test")]
    try:
        result = evaluate(sub, st, seeds=seeds, retrain=retrain, progress=progress, keep=kept,
                          time_limit_sec=time_limit_sec, **isolation)
    except EvaluationError as err:
        failed = getattr(err, "result", None)
        if failed is not None:
            save_run(failed, uids, [(k.seed, k.predicted) for k in kept])
        raise
    saved = save_run(result, uids, [(k.seed, k.predicted) for k in kept])
    if progress:
        import sys

        print(f"results file: {saved}", file=sys.stderr)
    return result


def evaluate_tracked(submission: Submission | str | Path, suite: Suite | str | None = None, seeds: int = 3,
                     retrain: bool = False, progress: bool = True,
                     time_limit_sec: float | None = None, **isolation: Any) -> tuple[EvaluationResult, str]:
    """evaluate() inside an MLflow parent run; returns (result, parent run id).

    Any failure ends the parent run FAILED with the error as a tag and raises EvaluationError (its
    `.result` is the failed result, its `.run_id` the run). `isolation` (isolation=, memory_limit=) goes
    to evaluate().
    """
    sub = submission if isinstance(submission, Submission) else load_submission(submission)
    st = suite if isinstance(suite, Suite) else load_suite(suite)
    mlc = client()
    exp_id = experiment_id(mlc, st.name)
    tags = {"submission": sub.name, "version": sub.meta.version, "suite": st.name,
            "suite_version": st.manifest.version, "suite_sha256": st.sha256}
    run = mlc.create_run(exp_id, run_name=f"{sub.name}-{sub.meta.version}",
                         tags={**tags, "role": ROLE_EVALUATION, "status": "running"})
    run_id = run.info.run_id
    kept: list[SeedPredictions] = []
    result: EvaluationResult | None = None
    try:
        from mlflow.entities import Param

        mlc.log_batch(run_id, params=[Param(k, v) for k, v in _params(sub, seeds, retrain).items()])
        log_dataset(mlc, run_id, st.name, st.sha256, st.manifest.version, str(st.path.resolve()))
        try:
            result = evaluate(sub, st, seeds=seeds, retrain=retrain, progress=progress, keep=kept,
                              time_limit_sec=time_limit_sec, **isolation)
        except EvaluationError as err:
            result = getattr(err, "result", None)
            raise
        from tircost_bench.progress import stage

        with stage("MLflow: log the run", enabled=progress):  # seeds, metrics, plots: ~15 s on a new store
            mlc.set_tag(run_id, "git_commit", result.environment.git_commit)
            mlc.set_tag(run_id, "isolation", result.isolation)
            log_seeds(mlc, exp_id, run_id, result, tags)
            log_metrics(mlc, run_id, aggregate_metrics(result.aggregate))
            saved = _log_artifacts(mlc, run_id, result, st, kept)
        if progress:
            import sys

            print(f"results file: {saved}", file=sys.stderr)
        mlc.set_tag(run_id, "status", STATUS_OK)
        mlc.set_terminated(run_id, "FINISHED")
        return result, run_id
    except BaseException as err:
        message = str(err) if isinstance(err, EvaluationError) else (
            f"{sub.name} {sub.meta.version}: {type(err).__name__}: {err}")
        _fail(mlc, exp_id, run_id, result, st, kept, tags, message,
              "KILLED" if isinstance(err, KeyboardInterrupt) else "FAILED")
        if isinstance(err, EvaluationError):
            err.run_id = run_id  # type: ignore[attr-defined]
            raise
        if not isinstance(err, Exception):
            raise
        wrapped = EvaluationError(message)
        wrapped.result, wrapped.run_id = result, run_id  # type: ignore[attr-defined]
        raise wrapped from err


def _fail(mlc: Any, exp_id: str, run_id: str, result: EvaluationResult | None, suite: Suite,
          kept: list[SeedPredictions], tags: dict[str, str], message: str, status: str) -> None:
    """Best effort: record what is known, never mask the original error."""
    try:
        mlc.set_tag(run_id, "status", STATUS_FAILED)
        mlc.set_tag(run_id, "error", message[:_MAX_TAG])
        if result is not None:
            result.status, result.error = STATUS_FAILED, message
            mlc.set_tag(run_id, "git_commit", result.environment.git_commit)
            log_seeds(mlc, exp_id, run_id, result, tags)
            _log_artifacts(mlc, run_id, result, suite, kept)
    finally:
        mlc.set_terminated(run_id, status)
