"""pytest plugin (entry point `pytest11`): regression checks for cost-model authors, in a few lines.

    def test_my_model_holds_its_row(tircost_evaluate, tircost_assert_no_regression):
        result = tircost_evaluate("submissions/my_model", seeds=1)
        tircost_assert_no_regression(result)

Options: --tircost-suite NAME (default: the default suite), --tircost-tolerance 0.01 (absolute, per metric),
--tircost-leaderboard DIR (where <suite>.json was published; default: the project's leaderboard/).
Evaluations made through the fixtures are not recorded in MLflow: CI must not touch the leaderboard.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

DEFAULT_METRICS = ("pairwise_accuracy", "peak_score@1", "top_k_recall@5")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tircost-bench", "tircost-bench cost-model regression checks")
    group.addoption("--tircost-suite", default=None, help="suite to evaluate on (default: the default suite)")
    group.addoption("--tircost-tolerance", type=float, default=0.01,
                    help="allowed absolute drop of a metric below the published row (default 0.01)")
    group.addoption("--tircost-leaderboard", default=None, help="folder holding the published <suite>.json")


class RegressionError(AssertionError):
    """A submission scored worse than its published leaderboard row by more than the tolerance."""


def published_row(leaderboard_json: Path, submission: str, version: str | None = None) -> dict[str, Any]:
    """The published row of `submission` (latest version unless one is named)."""
    if not leaderboard_json.exists():
        raise FileNotFoundError(f"{leaderboard_json} does not exist: publish with `tircost-bench leaderboard --publish`")
    rows = [r for r in json.loads(leaderboard_json.read_text())["rows"] if r["submission"] == submission]
    if version is not None:
        rows = [r for r in rows if r["version"] == version]
    if not rows:
        raise LookupError(f"{submission!r} (version {version or 'any'}) has no row in {leaderboard_json}")
    return rows[0]


def check_no_regression(result: Any, row: dict[str, Any], tolerance: float,
                        metrics: Sequence[str] = DEFAULT_METRICS) -> list[str]:
    """One line per metric that fell more than `tolerance` below (or rose above, for lower-is-better) its row."""
    from tircost_bench.metrics import get_metric

    problems = []
    for name in metrics:
        published = row["metrics"].get(name, {}).get("mean")
        stat = result.stat(name)
        if published is None or stat is None or math.isnan(stat.mean):
            problems.append(f"{name}: cannot compare (published {published}, now {getattr(stat, 'mean', None)})")
            continue
        drop = (published - stat.mean) if get_metric(name).higher_is_better else (stat.mean - published)
        if drop > tolerance:
            problems.append(f"{name}: {stat.mean:.4f} now vs {published:.4f} published (worse by {drop:.4f} > {tolerance})")
    return problems


@pytest.fixture(scope="session")
def tircost_suite(request: pytest.FixtureRequest) -> Any:
    """The verified suite named by --tircost-suite (or the default suite)."""
    from tircost_bench.suite.loader import load_suite

    return load_suite(request.config.getoption("--tircost-suite"))


@pytest.fixture(scope="session")
def tircost_evaluate(tircost_suite: Any) -> Callable[..., Any]:
    """evaluate(submission path or name, seeds=1, retrain=False) -> EvaluationResult, untracked."""
    from tircost_bench.evaluation.evaluate import evaluate

    def run(submission: str | Path, seeds: int = 1, retrain: bool = False) -> Any:
        return evaluate(submission, tircost_suite, seeds=seeds, retrain=retrain, progress=False)

    return run


@pytest.fixture(scope="session")
def tircost_assert_no_regression(request: pytest.FixtureRequest, tircost_suite: Any) -> Callable[..., None]:
    """assert_no_regression(result, metrics=..., tolerance=None, version=None): fails with one line per metric."""
    from tircost_bench.paths import leaderboard_dir

    folder = Path(request.config.getoption("--tircost-leaderboard") or leaderboard_dir())
    default_tol = request.config.getoption("--tircost-tolerance")

    def check(result: Any, metrics: Sequence[str] = DEFAULT_METRICS, tolerance: float | None = None,
              version: str | None = None) -> None:
        row = published_row(folder / f"{tircost_suite.name}.json", result.submission.name, version)
        problems = check_no_regression(result, row, default_tol if tolerance is None else tolerance, metrics)
        if problems:
            raise RegressionError(f"{result.submission.name} regressed on {tircost_suite.name}:\n  " + "\n  ".join(problems))

    return check
