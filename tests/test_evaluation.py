"""End-to-end evaluation: real TVM programs, a real sqlite MLflow store, the shipped baselines."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import BASELINES

from tircost_bench.evaluation import (
    RESULTS_SCHEMA,
    EvaluationError,
    EvaluationResult,
    InvalidPredictionsError,
    evaluate,
    validate_predictions,
)
from tircost_bench.evaluation.tracking import dataset_digest, evaluate_tracked, experiment_name
from tircost_bench.metrics import METRICS
from tircost_bench.suite.labels import read_test_labels

GOLDEN = Path(__file__).parent / "data" / "results_v1.json"


def _client(uri: str):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def test_random_end_to_end(small_suite, mlflow_store, tmp_path):
    result, run_id = evaluate_tracked(BASELINES / "random", small_suite, seeds=2, progress=False)

    # The results file: identity, environment, counts, per-seed reports and mean ± std.
    path = tmp_path / "results.json"
    result.save(path)
    loaded = EvaluationResult.load(path)
    assert loaded.schema == RESULTS_SCHEMA and loaded.status == "ok"
    assert (loaded.suite.name, loaded.suite.sha256) == (small_suite.name, small_suite.sha256)
    assert (loaded.submission.name, loaded.submission.version) == ("random", "1.0")
    assert {"tvm", "torch", "xgboost", "numpy", "mlflow", "python"} <= set(loaded.environment.packages)
    assert loaded.counts.test_tasks == 2
    assert loaded.counts.failed_programs == {"runtime_error": 1}
    assert loaded.counts.test_programs == len(read_test_labels(small_suite))
    assert [s.seed for s in loaded.seeds] == [0, 1] and not any(s.checkpoint_used for s in loaded.seeds)
    pairwise = [s.report.overall["pairwise_accuracy"] for s in loaded.seeds]
    stat = loaded.stat("pairwise_accuracy")
    assert stat.n == 2 and stat.mean == pytest.approx(np.mean(pairwise))
    assert stat.std == pytest.approx(np.std(pairwise, ddof=1))
    assert set(loaded.aggregate["overall"]) == set(METRICS)
    assert "network:resnet_50-b1" in loaded.aggregate  # held-out networks only
    assert all(not k.startswith("network:resnet_18") for k in loaded.aggregate)

    # MLflow: a FINISHED parent with the suite as a dataset input, one FINISHED child per seed.
    mlc = _client(mlflow_store)
    parent = mlc.get_run(run_id)
    assert parent.info.status == "FINISHED"
    tags = parent.data.tags
    assert (tags["submission"], tags["version"], tags["status"]) == ("random", "1.0", "ok")
    assert tags["suite_sha256"] == small_suite.sha256 and tags["git_commit"]
    assert parent.data.params["seeds"] == "2"
    assert parent.data.metrics["pairwise_accuracy_mean"] == pytest.approx(stat.mean)
    assert "top_k_recall_at_5_mean" in parent.data.metrics and "peak_score_at_1_std" in parent.data.metrics
    (ds,) = parent.inputs.dataset_inputs
    assert ds.dataset.digest == dataset_digest(small_suite.sha256) and ds.dataset.name == small_suite.name
    assert str(small_suite.path.resolve()) in ds.dataset.source
    assert {t.key: t.value for t in ds.tags}["suite_sha256"] == small_suite.sha256
    exp = mlc.get_experiment_by_name(experiment_name(small_suite.name))
    children = mlc.search_runs([exp.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert sorted(c.data.tags["seed"] for c in children) == ["0", "1"]
    assert all(c.info.status == "FINISHED" and "pairwise_accuracy" in c.data.metrics for c in children)
    artifacts = {a.path for a in mlc.list_artifacts(run_id)} | {a.path for a in mlc.list_artifacts(run_id, "plots")}
    assert {"results.json", "predictions.csv", "plots/scatter.png", "plots/peak_at_k.png"} <= artifacts
    assert exp.artifact_location.startswith("file:///")


@pytest.mark.parametrize("body, problem", [
    ("return np.full(len(programs), np.nan)", "non-finite"),
    ("return np.ones(len(programs) - 1)", "values for"),
    ("return -np.ones(len(programs))", "<= 0"),
    ("raise RuntimeError('boom')", "predict raised RuntimeError: boom"),
])
def test_bad_submission_fails_the_run(small_suite, mlflow_store, submission_factory, body, problem):
    folder = submission_factory("broken", body)
    with pytest.raises(EvaluationError) as info:
        evaluate_tracked(folder, small_suite, seeds=1, progress=False)
    err = info.value
    assert "broken 1.0" in str(err) and problem in str(err)
    assert err.result.status == "failed" and err.result.error == str(err)
    run = _client(mlflow_store).get_run(err.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["status"] == "failed" and problem in run.data.tags["error"]


def test_validate_predictions_messages():
    who = "gcn_topk 1.0"
    assert validate_predictions([1, 2.5], 2, who).dtype == np.float64
    with pytest.raises(InvalidPredictionsError, match=r"gcn_topk 1.0: predict returned 812 values for 813"):
        validate_predictions(np.ones(812), 813, who)
    with pytest.raises(InvalidPredictionsError, match="shape"):
        validate_predictions(np.ones((2, 1)), 2, who)
    with pytest.raises(InvalidPredictionsError, match="float64"):
        validate_predictions(["fast", "slow"], 2, who)
    with pytest.raises(InvalidPredictionsError, match="non-finite"):
        validate_predictions([1.0, math.inf], 2, who)


def test_roofline_seeds_and_schedules(small_suite):
    # Untrained and deterministic: std 0 over seeds; predictions differ between schedules of one task.
    keep = []
    result = evaluate(BASELINES / "roofline", small_suite, seeds=2, progress=False, keep=keep)
    assert result.stat("pairwise_accuracy").std == 0.0
    assert all(not s.trained for s in result.seeds)
    labels = read_test_labels(small_suite)
    first = labels.task_ids == labels.task_ids[0]
    assert len(set(keep[0].predicted[first].tolist())) > 1


def test_golden_results_file_keeps_loading():
    """A schema-1 file (written by an older tircost-bench) loads through the migration, losing nothing."""
    golden = json.loads(GOLDEN.read_text())
    result = EvaluationResult.load(GOLDEN)
    assert golden["schema"] == 1 and result.schema == RESULTS_SCHEMA and result.ok
    assert result.submission.name == "roofline" and len(result.seeds) == 2
    assert result.stat("pairwise_accuracy").mean == pytest.approx(0.708333, abs=1e-6)
    assert result.seeds[0].report.per_task and result.counts.failed_programs == {"runtime_error": 1}
    assert (result.isolation, result.traceback, result.predictions) == ("", "", None)
    assert all(s.checkpoint == {} for s in result.seeds)
    # Machine-local absolute paths become portable: the suite folder's name, the path inside the checkout.
    assert (result.suite.path, result.submission.folder) == ("tiny", "roofline")
    # Everything v1 held survives, value for value (NaN as null included); the round trip is lossless.
    migrated = result.to_json()
    for key in ("aggregate", "counts", "status", "error", "created", "retrain"):
        assert migrated[key] == golden[key], key
    for old, new in zip(golden["seeds"], migrated["seeds"]):
        assert {k: new[k] for k in old} == old
    assert EvaluationResult.from_json(json.loads(json.dumps(migrated))).to_json() == migrated
