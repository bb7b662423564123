"""Leaderboard: rows from real results files, ranking, one row per submission, deterministic publishing that
never drops a row, and the publishing rules with their fixes."""

from __future__ import annotations

import json

import pytest
from conftest import BASELINES
from published_rows import local_run, published_row

from tircost_bench.leaderboard import PublishError, build_board, publish
from tircost_bench.metrics import METRICS, get_metric

CONSTANT = "return np.ones(len(programs))"  # every pair tied: pairwise accuracy exactly 0.5
INDEXED = "return np.arange(1, len(programs) + 1, dtype=float)"  # deterministic, not constant
LOWER_IS_BETTER = next(m for m in METRICS if not get_metric(m).higher_is_better)


@pytest.fixture
def folders(tmp_path):
    return tmp_path / "lb", tmp_path / "runs"


@pytest.fixture
def two_rows(small_suite, folders, submission_factory):
    lb, runs = folders
    published_row(submission_factory("constant", CONSTANT), small_suite, lb, runs)
    published_row(BASELINES / "random", small_suite, lb, runs)
    return lb, runs


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ranks_by_metric_and_direction(small_suite, two_rows):
    lb, _ = two_rows
    for metric in ("pairwise_accuracy", LOWER_IS_BETTER):
        board = build_board(small_suite, metric, include_local=False, leaderboard=lb)
        assert [r.rank for r in board.rows] == [1, 2]
        means = [r.metrics[metric].mean for r in board.rows]
        assert means == sorted(means, reverse=get_metric(metric).higher_is_better)
    by_name = {r.submission: r for r in board.rows}
    const, rand = by_name["constant"], by_name["random"]
    assert const.metrics["pairwise_accuracy"].mean == pytest.approx(0.5)
    assert (const.seeds, const.deterministic, rand.deterministic) == (5, True, False)
    assert rand.suite_sha256 == small_suite.sha256 and rand.verified == "no checkpoint"
    text = (lb / f"{small_suite.name}.md").read_text()
    const_line = next(line for line in text.splitlines() if "| constant |" in line)
    rand_line = next(line for line in text.splitlines() if "| random |" in line)
    assert "5, deterministic" in const_line and "±" not in const_line  # not "± 0.0000"
    assert "±" in rand_line
    assert "rmse_logz" in text.splitlines()[text.splitlines().index(next(line for line in text.splitlines()
                                                                         if line.startswith("| rank")))]


def test_one_row_per_submission_latest_version_history(small_suite, folders, submission_factory):
    lb, runs = folders
    published_row(submission_factory("indexed", INDEXED, "0.9"), small_suite, lb, runs)
    published_row(submission_factory("indexed", CONSTANT, "0.10"), small_suite, lb, runs)
    board = build_board(small_suite, include_local=False, leaderboard=lb)
    assert [(r.submission, r.version) for r in board.rows] == [("indexed", "0.10")]  # 0.10 > 0.9 (PEP 440)
    assert [(r.submission, r.version) for r in board.history] == [("indexed", "0.9")]
    md = (lb / f"{small_suite.name}.md").read_text()
    assert "## History" in md and "latest version" in md
    data = json.loads((lb / f"{small_suite.name}.json").read_text())
    assert [r["version"] for r in data["rows"]] == ["0.10"] and [r["version"] for r in data["history"]] == ["0.9"]


def test_publish_twice_and_one_seed_runs_change_nothing(small_suite, two_rows, submission_factory):
    lb, runs = two_rows
    before = _snapshot(lb)
    report = publish(small_suite, out_dir=lb, runs=runs)  # unchanged clone: no file written
    assert not report.copied and not report.refused
    assert _snapshot(lb) == before

    local_run(BASELINES / "random", small_suite, 1, runs)  # a newer 1-seed run of a published version
    local_run(submission_factory("newcomer", INDEXED), small_suite, 1, runs)
    report = publish(small_suite, out_dir=lb, runs=runs)
    assert _snapshot(lb) == before  # no published row changed, none added
    refused = {r.submission: str(r) for r in report.refused}
    assert set(refused) == {"random", "newcomer"}
    assert "rule '>= 5 seeds': 1 seed scored" in refused["random"] and "--seeds 5" in refused["random"]

    # The view shows the user's unpublishable run, beside (never in place of) the published rows.
    board = build_board(small_suite, leaderboard=lb, runs=runs)
    assert sorted((r.submission, r.source.split(" ")[0]) for r in board.rows) == [
        ("constant", "published"), ("newcomer", "local:"), ("random", "local:"), ("random", "published")]
    assert all("not publishable (>= 5 seeds)" in r.source for r in board.rows if r.source.startswith("local"))


def test_dirty_tree_is_refused_with_the_fix(small_suite, folders):
    lb, runs = folders
    result, _ = local_run(BASELINES / "roofline", small_suite, 5, runs, clean=False)
    report = publish(small_suite, out_dir=lb, runs=runs)
    if result.environment.git_commit.endswith("+dirty"):
        (refusal,) = report.refused
        assert "rule 'clean git tree'" in str(refusal) and "git status" in str(refusal)
        assert not (lb / "results").exists()
    else:  # a clean checkout (CI): the same run is published
        assert report.copied and not report.refused


def test_broken_results_files_are_reported_and_lose_no_row(small_suite, two_rows):
    lb, runs = two_rows
    md = (lb / f"{small_suite.name}.md").read_bytes()
    bad_local = runs / small_suite.name / "random" / "1.0" / "corrupt" / "results.json"
    bad_local.parent.mkdir(parents=True)
    bad_local.write_text('{"schema": 2, "suite": ')
    future = runs / small_suite.name / "random" / "1.0" / "future" / "results.json"
    future.parent.mkdir(parents=True)
    future.write_text(json.dumps({"schema": 99}))
    report = publish(small_suite, out_dir=lb, runs=runs)
    problems = {p.path: p.reason for p in report.problems}
    assert set(problems) == {bad_local, future}
    assert "unknown results schema 99" in problems[future]
    assert (lb / f"{small_suite.name}.md").read_bytes() == md

    published = next((lb / "results" / small_suite.name / "random").glob("*/results.json"))
    published.write_text("not json")
    with pytest.raises(PublishError, match="git checkout") as info:
        publish(small_suite, out_dir=lb, runs=runs)
    assert str(published) in str(info.value)
    assert (lb / f"{small_suite.name}.md").read_bytes() == md  # the row is still published
    board = build_board(small_suite, leaderboard=lb, runs=runs)
    assert any(p.path == published for p in board.problems)


def test_empty_leaderboard(tmp_path):
    report = publish("no-such-suite", out_dir=tmp_path, runs=tmp_path / "runs")
    md, js = report.files
    assert json.loads(js.read_text())["rows"] == [] and "no-such-suite" in md.read_text()


def test_rows_of_a_legacy_table_are_named_when_replaced(small_suite, folders):
    lb, runs = folders
    lb.mkdir()
    (lb / f"{small_suite.name}.json").write_text(json.dumps({"rows": [  # the pre-results-file layout
        {"submission": "gcn_topk", "version": "0.2", "run_id": "e279db28"},
        {"submission": "random", "version": "1.0", "run_id": "7670418"}]}))
    report = published_row(BASELINES / "random", small_suite, lb, runs)
    assert report.legacy_dropped == ["gcn_topk 0.2"]  # random 1.0 is back, from its results file
