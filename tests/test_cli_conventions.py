"""Conventions of issue #20: JSON on stdout with progress on stderr, one artifact location rule, MLflow
the top-level API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tircost_bench.cli import app
from tircost_bench.paths import PROJECT_ROOT


def test_evaluate_json_goes_to_stdout_progress_to_stderr(small_suite) -> None:
    result = CliRunner().invoke(app, ["evaluate", "random", "--suite", str(small_suite.path), "--seeds", "2",
                                      "--no-track", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert out["suite"]["name"] == "tiny" and [s["seed"] for s in out["seeds"]] == [0, 1]
    assert "load suite" in result.stderr and "done" in result.stderr


def test_report_artifacts_go_beside_the_store_not_the_cwd(mlflow_store: str, tmp_path: Path, monkeypatch) -> None:
    from mlflow.tracking import MlflowClient

    from tircost_bench.report.build import Report, log_to_mlflow

    cwd, out = tmp_path / "cwd", tmp_path / "report"
    cwd.mkdir()
    out.mkdir()
    (out / "index.html").write_text("<html></html>")
    monkeypatch.chdir(cwd)
    summary = {"suite": "tiny", "version": "1", "sha256": "0" * 64, "tasks": 3}
    run_id = log_to_mlflow(Report(out, [], summary, "", out / "index.html"))
    client = MlflowClient(tracking_uri=mlflow_store)
    exp = client.get_experiment(client.get_run(run_id).info.experiment_id)
    assert exp.artifact_location.startswith((tmp_path / "mlartifacts").as_uri())
    assert not (cwd / "mlruns").exists()
    assert (tmp_path / "mlartifacts" / "tiny" / "report").is_dir()


def test_top_level_api_is_lazy() -> None:
    code = ("import sys, tircost_bench as t; assert 'torch' not in sys.modules and 'tvm' not in sys.modules; "
            "from tircost_bench import evaluate, load_suite, Predictor, EvaluationResult; "
            "assert Predictor.__name__ == 'Predictor' and callable(evaluate) and callable(load_suite)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, timeout=60)
