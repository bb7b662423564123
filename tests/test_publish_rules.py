"""Checkpoint rules and verification on a real trainable submission with real checkpoints; the MLflow copy
of the published results."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASELINES, make_submission
from published_rows import local_run, published_row

from tircost_bench.leaderboard import build_board
from tircost_bench.leaderboard.store import published_entries

# Fits one number on the train split (median latency) and predicts a fixed function of the program uid:
# deterministic training, so --retrain reproduces the checkpoints exactly.
FIT = "def fit(self, train, valid): self.scale = float(np.median(train.latencies))"
SAVE = "def save(self, d): (d / 'scale.json').write_text(str(self.scale))"
LOAD = "def load(self, d): self.scale = float((d / 'scale.json').read_text())"
PREDICT = "return self.scale * (1.0 + np.array([(p.uid * 7919) % 13 for p in programs], dtype=float))"


def _checkpointed(folder: Path, suite, leak_test_task: bool = False) -> Path:
    make_submission(folder, "ckpt_model", PREDICT, "0.3")
    code = (folder / "model.py").read_text()
    code = code.replace("trainable = property(lambda self: False)", "trainable = property(lambda self: True)")
    code = code.replace("def fit(self, train, valid): pass", FIT).replace("def save(self, d): pass", SAVE)
    (folder / "model.py").write_text(code.replace("def load(self, d): pass", LOAD))
    from tircost_bench.predictors.submission import load_submission

    sub = load_submission(folder)
    train, val = suite.labeled("train"), suite.labeled("val")
    ids = {"train": sorted(set(train.task_ids.tolist())), "val": sorted(set(val.task_ids.tolist()))}
    if leak_test_task:
        ids["train"].append(suite.programs_of("test")[0].task_id)
    registered = {}
    for seed in range(5):
        model, ckpt = sub.create(seed), folder / "checkpoints" / f"seed{seed}"
        model.fit(train, val)
        ckpt.mkdir(parents=True)
        model.save(ckpt)
        (ckpt / "provenance.json").write_text(json.dumps({  # the contract's layout (BRIEF.md)
            "schema": 1, "seed": seed, "suite": {"name": suite.name, "version": suite.manifest.version,
                                                  "sha256": suite.sha256},
            "splits": ["train", "val"], "task_ids": ids,
            "task_ids_sha256": hashlib.sha256("\n".join(sorted(ids["train"] + ids["val"])).encode()).hexdigest(),
            "n_programs": {"train": len(train), "val": len(val)}, "training_command": "test fixture",
            "code_sha256": "", "wall_seconds": 0.0, "hardware": {}, "created": "2026-12-02T00:00:00+00:00",
            "reconstructed": False}))
        registered[str(seed)] = f"checkpoints/seed{seed}"
    meta = json.loads((folder / "submission.json").read_text())
    (folder / "submission.json").write_text(json.dumps({**meta, "checkpoints": {suite.sha256: registered}}))
    return folder


def test_checkpoint_run_is_self_reported_until_a_retrain_reproduces_it(small_suite, tmp_path):
    lb, runs = tmp_path / "lb", tmp_path / "runs"
    folder = _checkpointed(tmp_path / "subs" / "ckpt_model", small_suite)
    published_row(folder, small_suite, lb, runs)
    (row,) = build_board(small_suite, include_local=False, leaderboard=lb).rows
    # Five checkpoint folders, but the seed changes nothing here: bit-identical predictions, deterministic.
    assert (row.verified, row.deterministic) == ("self-reported", True)

    published_row(folder, small_suite, lb, runs, retrain=True)
    assert (lb / "results" / small_suite.name / "ckpt_model" / "0.3" / "retrain" / "results.json").exists()
    (row,) = build_board(small_suite, include_local=False, leaderboard=lb).rows
    assert row.verified == "verified"
    assert "| verified |" in (lb / f"{small_suite.name}.md").read_text()
    main = next(e for e in published_entries(small_suite.name, lb)[0] if not e.result.retrain)
    assert all(s.checkpoint_used and s.checkpoint["seed"] == s.seed for s in main.result.seeds)


def test_checkpoint_without_provenance_or_trained_on_test_is_refused(small_suite, tmp_path):
    # The records of a real checkpoint run, altered in memory: after the isolation branch, evaluate itself
    # refuses such checkpoints, so no evaluation can produce them any more.
    import copy

    from tircost_bench.leaderboard.rules import violations

    folder = _checkpointed(tmp_path / "subs" / "ckpt_model", small_suite)
    result, _ = local_run(folder, small_suite, 5, tmp_path / "runs")
    assert violations(result) == []
    leaky = copy.deepcopy(result)
    leaky.seeds[0].checkpoint["task_ids"]["train"].append(small_suite.programs_of("test")[0].task_id)
    (v,) = violations(leaky)
    assert str(v).startswith("rule 'checkpoints with provenance': seed 0 loaded a checkpoint trained on 1 test task(s)")
    assert "tircost-bench train" in v.fix
    bare = copy.deepcopy(result)
    bare.seeds[3].checkpoint = bare.seeds[4].checkpoint = {}
    (v,) = violations(bare)
    assert "seeds 3, 4 loaded a checkpoint without provenance.json" in str(v)
    other = copy.deepcopy(result)
    other.seeds[1].checkpoint["suite"]["sha256"] = "0" * 64
    assert f"seed 1 loaded a checkpoint trained on other suite data than {small_suite.sha256[:12]}" in str(
        violations(other)[0])


def test_sync_mlflow_shows_every_published_run(small_suite, tmp_path, mlflow_store):
    from mlflow.tracking import MlflowClient

    from tircost_bench.evaluation.tracking import experiment_name
    from tircost_bench.leaderboard.mlflow_sync import sync_mlflow

    lb, runs = tmp_path / "published", tmp_path / "runs"
    published_row(BASELINES / "random", small_suite, lb, runs)
    published_row(BASELINES / "roofline", small_suite, lb, runs)
    report = sync_mlflow(leaderboard=lb)
    assert len(report.added) == 2 and report.unchanged == 0
    assert sync_mlflow(leaderboard=lb).added == []  # idempotent
    mlc = MlflowClient(tracking_uri=mlflow_store)
    exp = mlc.get_experiment_by_name(experiment_name(small_suite.name))
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"  # the UI opens on runs
    parents = mlc.search_runs([exp.experiment_id], "tags.role = 'evaluation'")
    assert sorted(r.data.tags["submission"] for r in parents) == ["random", "roofline"]
    for run in parents:
        assert run.info.status == "FINISHED" and run.data.tags["source"] == "published"
        assert {a.path for a in mlc.list_artifacts(run.info.run_id)} == {"results.json", "predictions.npz"}
        assert "pairwise_accuracy_mean" in run.data.metrics
    children = mlc.search_runs([exp.experiment_id], "tags.role = 'seed'")
    assert len(children) == 10


def test_cli_publish_refusal_exits_1_and_names_the_rule(small_suite, tmp_path):
    env = {**os.environ, "TIRCOST_LEADERBOARD_DIR": str(tmp_path / "lb"), "TIRCOST_RUNS_DIR": str(tmp_path / "runs"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    local_run(BASELINES / "random", small_suite, 1, tmp_path / "runs")
    proc = subprocess.run([str(Path(sys.executable).parent / "tircost-bench"), "leaderboard", "--suite",
                           str(small_suite.path), "--publish"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "refused random 1.0" in proc.stderr and "rule '>= 5 seeds'" in proc.stderr
    assert "| random " not in proc.stdout and "random" in proc.stdout  # the view still shows the user's run
    assert not (tmp_path / "lb" / "results").exists()


@pytest.fixture(autouse=True)
def _quiet_mpl(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
