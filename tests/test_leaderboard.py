"""Leaderboard: ranking from real MLflow runs, deterministic publishing, failed runs change nothing."""

from __future__ import annotations

import json

import pytest
from conftest import BASELINES

from tircost_bench.evaluation import EvaluationError
from tircost_bench.evaluation.tracking import evaluate_tracked
from tircost_bench.leaderboard import publish, ranked_rows

CONSTANT = "return np.ones(len(programs))"  # every pair tied: pairwise accuracy exactly 0.5
INDEXED = "return np.arange(1, len(programs) + 1, dtype=float)"  # deterministic, not constant


@pytest.fixture
def two_runs(small_suite, mlflow_store, submission_factory):
    const, _ = evaluate_tracked(submission_factory("constant", CONSTANT), small_suite, seeds=1, progress=False)
    roof, _ = evaluate_tracked(BASELINES / "roofline", small_suite, seeds=2, progress=False)
    return const, roof


def test_ranks_by_metric_and_direction(small_suite, two_runs):
    const, roof = two_runs
    assert const.stat("pairwise_accuracy").mean == pytest.approx(0.5)
    for metric in ("pairwise_accuracy", "rmse_z"):  # higher-is-better and lower-is-better
        rows = ranked_rows(small_suite, metric)
        assert [r.rank for r in rows] == [1, 2]
        by_name = {r.submission: r for r in rows}
        assert by_name["roofline"].metrics[metric].mean == pytest.approx(roof.stat(metric).mean)
        means = [r.metrics[metric].mean for r in rows]
        assert means == sorted(means, reverse=metric == "pairwise_accuracy")
    row = by_name["roofline"]
    assert (row.version, row.seeds, row.suite_sha256) == ("1.0", 2, small_suite.sha256)
    assert row.metrics["pairwise_accuracy"].std == 0.0


def test_latest_run_per_version_counts(small_suite, mlflow_store, submission_factory):
    evaluate_tracked(submission_factory("indexed", INDEXED), small_suite, seeds=1, progress=False)
    _, latest = evaluate_tracked(submission_factory("indexed", INDEXED), small_suite, seeds=2, progress=False)
    _, v2 = evaluate_tracked(submission_factory("indexed", CONSTANT, "2.0"), small_suite, seeds=1, progress=False)
    rows = ranked_rows(small_suite)
    assert sorted((r.submission, r.version) for r in rows) == [("indexed", "1.0"), ("indexed", "2.0")]
    assert {r.version: r.run_id for r in rows} == {"1.0": latest, "2.0": v2}


def test_publish_is_deterministic_and_ignores_failures(small_suite, two_runs, submission_factory, tmp_path):
    md, js = publish(small_suite, out_dir=tmp_path / "a")
    before = (md.read_bytes(), js.read_bytes())
    md2, js2 = publish(small_suite, out_dir=tmp_path / "b")
    assert (md2.read_bytes(), js2.read_bytes()) == before  # same runs -> same bytes

    text = md.read_text()
    assert text.index("| 1 | roofline | 1.0 |") < text.index("| 2 | constant | 1.0 |")
    assert "0.5000 ± 0.0000" in text
    data = json.loads(js.read_text())
    assert data["suite"] == small_suite.name and [r["submission"] for r in data["rows"]] == ["roofline", "constant"]

    for body in ("return np.full(len(programs), np.nan)", "return np.ones(len(programs) + 1)"):
        with pytest.raises(EvaluationError):
            evaluate_tracked(submission_factory("constant", body, "9.9"), small_suite, seeds=1, progress=False)
    with pytest.raises(EvaluationError):  # a failing new version of a ranked submission
        evaluate_tracked(submission_factory("constant", "return None", "1.0"), small_suite, seeds=1, progress=False)
    mtimes = (md.stat().st_mtime_ns, js.stat().st_mtime_ns)
    publish(small_suite, out_dir=tmp_path / "a")
    assert (md.read_bytes(), js.read_bytes()) == before
    assert (md.stat().st_mtime_ns, js.stat().st_mtime_ns) == mtimes


def test_empty_leaderboard(mlflow_store, tmp_path):
    assert ranked_rows("no-such-suite") == []
    md, js = publish("no-such-suite", out_dir=tmp_path)
    assert json.loads(js.read_text())["rows"] == [] and "no-such-suite" in md.read_text()
