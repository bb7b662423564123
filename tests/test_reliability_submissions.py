"""Faulty submissions (tests/faulty/*): each fails with a clear error naming it and the problem, its MLflow
run ends FAILED, and the published leaderboard stays byte-identical. Real submission folders, a real suite,
a real sqlite MLflow store; the time limit and the confinement are the real ones (the submission worker,
tircost_bench.evaluation.host). Routes to the test labels are tested in tests/test_isolation.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASELINES
from published_rows import published_row

from tircost_bench.evaluation import EvaluationError, evaluate
from tircost_bench.evaluation.tracking import evaluate_tracked
from tircost_bench.leaderboard import publish

FAULTY = Path(__file__).parent / "faulty"

CASES = {  # folder -> (submission name, words the error must contain)
    "raises": ("faulty-raises", "predict raised ValueError: faulty on purpose"),
    "nan": ("faulty-nan", "non-finite value(s), first nan"),
    "inf": ("faulty-inf", "non-finite value(s), first inf"),
    "short": ("faulty-short", "values for"),
    "strings": ("faulty-strings", "not convertible to float64"),
    "two_d": ("faulty-two-d", "of shape"),
    "slow": ("faulty-slow", "predict ran past the time limit of 2 s"),
    "slow_fit": ("faulty-slow-fit", "fit ran past the time limit of 2 s"),
}


def _client(uri: str):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


@pytest.fixture
def published(small_suite, mlflow_store, tmp_path):
    """One good row on the leaderboard, published; returns (folder, {file: bytes}, {file: mtime})."""
    out = tmp_path / "published"
    paths = published_row(BASELINES / "random", small_suite, out).files  # the user's runs folder: runs_dir()
    assert "| 1 | random |" in paths[0].read_text()
    return out, {p.name: p.read_bytes() for p in paths}, {p.name: p.stat().st_mtime_ns for p in paths}


@pytest.mark.parametrize("case", sorted(CASES))
def test_faulty_submission_fails_cleanly(case, small_suite, mlflow_store, published):
    name, problem = CASES[case]
    start = time.perf_counter()
    with pytest.raises(EvaluationError) as info:
        evaluate_tracked(FAULTY / case, small_suite, seeds=1, progress=False, time_limit_sec=2)
    elapsed = time.perf_counter() - start
    err = info.value
    message = str(err)
    assert message.startswith(f"{name} 0.1 (seed 0):"), message  # names the submission
    assert problem in message, message
    assert err.result.status == "failed" and err.result.error == message and err.result.traceback
    run = _client(mlflow_store).get_run(err.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["status"] == "failed" and problem in run.data.tags["error"]
    if case.startswith("slow"):
        assert elapsed < 30, f"the time limit did not stop {case} promptly ({elapsed:.1f} s)"

    out, before, mtimes = published
    report = publish(small_suite, out_dir=out)  # the failed run's results file is refused, nothing changes
    paths = report.files
    assert [r.submission for r in report.refused] == [name]
    assert "rule 'successful evaluation'" in str(report.refused[0])
    assert {p.name: p.read_bytes() for p in paths} == before  # byte-identical
    assert {p.name: p.stat().st_mtime_ns for p in paths} == mtimes  # not even rewritten


def test_confinement_is_the_workers_only(small_suite):
    """The evaluator itself still reads the labels, and a clean submission under the limit scores."""
    from tircost_bench.suite.labels import read_test_labels

    result = evaluate(BASELINES / "random", small_suite, seeds=1, progress=False, time_limit_sec=30)
    assert result.status == "ok" and result.counts.test_programs == len(read_test_labels(small_suite))
    with open(small_suite.path / "measurements.jsonl.xz", "rb") as f:  # this process is not confined
        assert f.read(6) == b"\xfd7zXZ\x00"


def test_cli_time_limit(small_suite, tmp_path):
    """`tircost-bench evaluate --time-limit` in a real process: exit 1, one clear line, run FAILED."""
    from tircost_bench.evaluation.tracking import experiment_name

    db = tmp_path / "mlflow.db"
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{db}", "TIRCOST_LEADERBOARD_DIR": str(tmp_path / "lb"),
           "TIRCOST_FAULTY_SUITE": str(small_suite.path), "MPLBACKEND": "Agg"}
    out = tmp_path / "failed.json"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "tircost-bench"), "evaluate", str(FAULTY / "slow"), "--suite",
         str(small_suite.path), "--seeds", "1", "--time-limit", "2", "--json-out", str(out)],
        check=False, env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "error: faulty-slow 0.1 (seed 0): predict ran past the time limit of 2 s" in proc.stderr
    assert json.loads(out.read_text())["status"] == "failed"
    mlc = _client(f"sqlite:///{db}")
    exp = mlc.get_experiment_by_name(experiment_name(small_suite.name))
    (run,) = mlc.search_runs([exp.experiment_id], "tags.role = 'evaluation'")
    assert run.info.status == "FAILED" and "time limit" in run.data.tags["error"]


@pytest.mark.slow
def test_concurrent_evaluations_lose_no_run(small_suite, tmp_path, _mlflow_template):
    """Three `tircost-bench evaluate` processes at once into one sqlite MLflow store: every parent run is
    recorded and FINISHED, each with its seed child."""
    import shutil

    from tircost_bench.evaluation.tracking import experiment_name

    db = tmp_path / "mlflow.db"
    shutil.copy(_mlflow_template, db)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{db}", "TIRCOST_LEADERBOARD_DIR": str(tmp_path / "lb"),
           "MPLBACKEND": "Agg"}
    procs = [subprocess.Popen([str(Path(sys.executable).parent / "tircost-bench"), "evaluate", str(BASELINES / "random"),
                               "--suite", str(small_suite.path), "--seeds", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-1500:] for _, err in outs]
    mlc = _client(f"sqlite:///{db}")
    exp = mlc.get_experiment_by_name(experiment_name(small_suite.name))  # created once, not thrice
    parents = mlc.search_runs([exp.experiment_id], "tags.role = 'evaluation'")
    assert len(parents) == 3 and all(r.info.status == "FINISHED" for r in parents)
    assert all("pairwise_accuracy_mean" in r.data.metrics for r in parents)
    children = mlc.search_runs([exp.experiment_id], "tags.role = 'seed'")
    assert sorted(c.data.tags["mlflow.parentRunId"] for c in children) == sorted(r.info.run_id for r in parents)
