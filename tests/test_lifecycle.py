"""One lifecycle (predictors.lifecycle): `tircost-bench train` fits in the confined worker, saves each seed
with provenance.json and registers it; evaluate loads it only when its provenance holds, and refuses it
(with the fix) when the provenance is missing, names another suite, or lists a test task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tircost_bench.cli import app
from tircost_bench.evaluation import EvaluationError, evaluate
from tircost_bench.predictors import lifecycle, provenance
from tircost_bench.predictors.submission import load_submission
from tircost_bench.search.run import SearchError, trained_predictor

MODEL = '''
import json
import numpy as np
from tircost_bench.predictors.interface import Predictor


class TaskMean(Predictor):
    """Predicts the mean train latency of programs with the same trace length (enough to be scored)."""

    def fit(self, train, valid):
        by_len = {}
        for p, y in zip(train.programs, train.latencies):
            by_len.setdefault(len(p.trace_json[0]), []).append(float(y))
        self.table = {str(k): float(np.mean(v)) for k, v in by_len.items()}
        self.default = float(np.mean(train.latencies))

    def save(self, directory):
        (directory / "table.json").write_text(json.dumps([self.table, self.default]))

    def load(self, directory):
        self.table, self.default = json.loads((directory / "table.json").read_text())

    def predict(self, programs):
        return np.array([self.table.get(str(len(p.trace_json[0])), self.default) for p in programs])
'''


@pytest.fixture
def trainable(tmp_path: Path) -> Path:
    folder = tmp_path / "task-mean"
    folder.mkdir()
    (folder / "model.py").write_text(MODEL)
    (folder / "submission.json").write_text(json.dumps({
        "name": "task-mean", "version": "0.1", "authors": ["tests"], "description": "a trainable test model",
        "entry_point": "model:TaskMean"}))
    return folder


def test_train_registers_checkpoints_with_provenance(trainable, small_suite):
    out = CliRunner().invoke(app, ["train", str(trainable), "--suite", str(small_suite.path), "--seeds", "0", "1"])
    assert out.exit_code == 0, out.output
    sub = load_submission(trainable)
    assert sub.meta.checkpoints[small_suite.sha256] == {"0": "checkpoints/tiny/seed0", "1": "checkpoints/tiny/seed1"}
    record = json.loads((trainable / "checkpoints/tiny/seed1/provenance.json").read_text())
    assert record["seed"] == 1 and record["suite"]["sha256"] == small_suite.sha256 and not record["reconstructed"]
    assert record["task_ids"]["train"] == sorted(small_suite.split_tasks["train"])
    assert record["task_ids_sha256"] == provenance.task_ids_sha256(record["task_ids"])
    assert record["code_sha256"] == provenance.code_sha256(trainable)
    assert record["n_programs"]["train"] == len(small_suite.programs_of("train")) and record["wall_seconds"] >= 0
    assert record["training_command"].startswith(f"tircost-bench train {trainable} --suite tiny --seeds 0 1")

    result = evaluate(trainable, small_suite, seeds=2, progress=False)
    assert [s.checkpoint == json.loads((trainable / f"checkpoints/tiny/seed{s.seed}/provenance.json").read_text())
            for s in result.seeds] == [True, True]
    assert not any(s.trained for s in result.seeds) and result.isolation in ("landlock", "process")

    predictor, prepared = lifecycle.in_process_predictor(load_submission(trainable), small_suite, 1)
    assert prepared.checkpoint == result.seeds[1].checkpoint and not prepared.trained  # search's path
    assert predictor.table
    assert record["submission_version"] == load_submission(trainable).meta.version
    _, info = trained_predictor(load_submission(trainable), small_suite, 1)  # what a search result records
    assert info["checkpoint_used"] and info["fit_seconds"] is None
    assert info["checkpoint"] == {k: v for k, v in record.items() if k != "task_ids"}

    retrained = evaluate(trainable, small_suite, seeds=1, progress=False, retrain=True)
    assert retrained.retrain and retrained.seeds[0].trained and retrained.seeds[0].checkpoint == {}
    assert retrained.seeds[0].report.overall == result.seeds[0].report.overall  # deterministic model


@pytest.mark.parametrize(("tamper", "problem"), [
    ("delete", "has no provenance.json"),
    ("suite", "was trained for suite sha256"),
    ("test-task", "was trained on 1 test task(s)"),
])
def test_checkpoint_with_bad_provenance_is_refused(tamper, problem, trainable, small_suite):
    assert CliRunner().invoke(app, ["train", str(trainable), "--suite", str(small_suite.path)]).exit_code == 0
    path = trainable / "checkpoints/tiny/seed0/provenance.json"
    record = json.loads(path.read_text())
    if tamper == "delete":
        path.unlink()
    elif tamper == "suite":
        record["suite"]["sha256"] = "0" * 64
        path.write_text(json.dumps(record))
    else:  # a model fitted on a test task, its provenance made consistent
        record["task_ids"]["train"].append(small_suite.split_tasks["test"][0])
        record["task_ids_sha256"] = provenance.task_ids_sha256(record["task_ids"])
        path.write_text(json.dumps(record))
    with pytest.raises(EvaluationError) as info:
        evaluate(trainable, small_suite, seeds=1, progress=False)
    assert problem in str(info.value) and "tircost-bench train" in str(info.value)
    with pytest.raises(SearchError) as refused:  # a search loads checkpoints through the same check
        trained_predictor(load_submission(trainable), small_suite, 0)
    assert problem in str(refused.value) and "tircost-bench train" in str(refused.value)


def test_shipped_checkpoints_have_provenance():
    from tircost_bench.paths import PROJECT_ROOT

    for folder in ("submissions/xgboost", "submissions/gcn_topk", "baselines/tvm_xgb"):
        sub = load_submission(PROJECT_ROOT / folder)
        for seeds in sub.meta.checkpoints.values():
            for rel in seeds.values():
                record = json.loads((sub.folder / rel / "provenance.json").read_text())
                assert record["schema"] == 1 and isinstance(record["reconstructed"], bool)
                if not record["reconstructed"]:  # trained with provenance: it says how long and on what
                    assert record["wall_seconds"] > 0 and record["hardware"] and record["training_command"]
                assert record["task_ids_sha256"] == provenance.task_ids_sha256(record["task_ids"])
