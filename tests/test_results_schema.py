"""Results files: schema v2 from a real evaluation, its predictions file, unknown and broken files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BASELINES
from published_rows import local_run

from tircost_bench.evaluation.results import RESULTS_SCHEMA, EvaluationResult, ResultsSchemaError, migrate
from tircost_bench.evaluation.runs import file_sha256, predictions_sha256, read_predictions


def test_run_folder_holds_results_and_predictions(small_suite, tmp_path):
    result, path = local_run(BASELINES / "random", small_suite, 2, tmp_path / "runs", clean=False)
    assert path.parent.parent == tmp_path / "runs" / small_suite.name / "random" / "1.0"
    loaded = EvaluationResult.load(path)
    assert loaded.schema == RESULTS_SCHEMA == json.loads(path.read_text())["schema"]
    assert loaded.to_json() == result.to_json()
    # Provenance: suite digest, harness commit, packages, hardware; no machine-local absolute path.
    assert loaded.suite.sha256 == small_suite.sha256 and loaded.environment.git_commit
    assert loaded.environment.hardware["cores"] >= 1 and "numpy" in loaded.environment.packages
    assert not loaded.suite.path.startswith("/") and loaded.submission.folder == "baselines/random"
    text = path.read_text()
    assert str(tmp_path) not in text and str(small_suite.path.parent) not in text
    # The predictions file: its digest in the results, uids in test order, one row per seed.
    pred = path.parent / loaded.predictions.file
    assert loaded.predictions.sha256 == file_sha256(pred)
    saved = read_predictions(pred)
    assert saved.uids.tolist() == [p.uid for p in small_suite.programs_of("test")]
    assert saved.seeds.tolist() == [0, 1] and saved.predicted.shape == (2, len(saved.uids))
    assert [predictions_sha256(row) for row in saved.predicted] == [s.predictions_sha256 for s in loaded.seeds]
    assert not np.array_equal(saved.predicted[0], saved.predicted[1])  # random: a stream per seed


@pytest.mark.parametrize("text, words", [
    ('{"schema": 3}', "unknown results schema 3"),
    ('{"suite": {}}', "unknown results schema None"),
    ('[1, 2]', "not a JSON object"),
    ('{"schema": 2, "suite": ', "Expecting value"),
    ('{"schema": 2, "suite": {"name": "x"}}', "layout is broken"),
    ('{"schema": 1, "seeds": 5}', "layout is broken"),
])
def test_unreadable_files_name_themselves(tmp_path, text, words):
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(ResultsSchemaError) as info:
        EvaluationResult.load(path)
    assert str(info.value).startswith(f"{path}: ") and words in str(info.value)


def test_migrate_refuses_newer_schemas():
    with pytest.raises(ResultsSchemaError, match="upgrade tircost-bench"):
        migrate({"schema": RESULTS_SCHEMA + 1})


def test_untracked_evaluations_write_their_run_folder_failed_ones_too(small_suite, tmp_path, monkeypatch,
                                                                     submission_factory):
    from tircost_bench.evaluation import EvaluationError
    from tircost_bench.evaluation.tracking import evaluate_untracked

    monkeypatch.setenv("TIRCOST_RUNS_DIR", str(tmp_path / "runs"))
    evaluate_untracked(BASELINES / "roofline", small_suite, seeds=1, progress=False)
    with pytest.raises(EvaluationError):
        evaluate_untracked(submission_factory("broken", "raise RuntimeError('boom')"), small_suite, seeds=1,
                           progress=False)
    (ok,) = (tmp_path / "runs" / small_suite.name / "roofline").rglob("results.json")
    (failed,) = (tmp_path / "runs" / small_suite.name / "broken").rglob("results.json")
    assert EvaluationResult.load(ok).ok and (ok.parent / "predictions.npz").exists()
    bad = EvaluationResult.load(failed)
    assert bad.status == "failed" and "boom" in bad.error and bad.predictions is None
