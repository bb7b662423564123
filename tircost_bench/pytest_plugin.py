"""pytest plugin (entry point `pytest11`): regression checks for cost-model authors, in a few lines.

    def test_my_model_holds_its_row(tircost_evaluate, tircost_assert_no_regression):
        result = tircost_evaluate("submissions/my_model", seeds=1)
        tircost_assert_no_regression(result, tolerance=0.01)

The published row is found in the committed results files (leaderboard/results/SUITE/SUBMISSION/VERSION/)
by the submission's name and the suite's sha256. Like is compared with like:
- per seed, where the seed is deterministic given its inputs: the same checkpoint (identical provenance) as
  the published seed, an untrained model of the same version (predictions depend on the seed only), or
  bit-identical predictions. The seed's value must not be worse than the published seed's by > tolerance.
- otherwise (the seed trained here), a band from the published seed spread: the mean over the n new seeds
  may fall below the published mean by at most BAND_Z * std / sqrt(n) + tolerance.
The message lists every comparison made, so a red CI says exactly what it compared.

Options: --tircost-suite NAME (default: the default suite), --tircost-tolerance 0.01 (absolute, per metric),
--tircost-leaderboard DIR (the folder holding results/; default: the project's leaderboard/).
Evaluations made through the fixtures are not recorded (no MLflow run, no runs-folder file).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DEFAULT_METRICS = ("pairwise_accuracy", "peak_score@1", "top_k_recall@5")
BAND_Z = 2.0  # a new seed within 2 published stds (one-sided, ~98% for normal seed noise)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tircost-bench", "tircost-bench cost-model regression checks")
    group.addoption("--tircost-suite", default=None, help="suite to evaluate on (default: the default suite)")
    group.addoption("--tircost-tolerance", type=float, default=0.01,
                    help="allowed absolute drop of a metric below the published row (default 0.01)")
    group.addoption("--tircost-leaderboard", default=None, help="folder holding the published results/")


class RegressionError(AssertionError):
    """A submission scored worse than its published leaderboard row by more than the allowed drop."""


def published_result(leaderboard: Path | None, suite_name: str, suite_sha256: str, submission: str,
                     version: str | None = None) -> tuple[Any, Path]:
    """The published checkpoint run of `submission` on this suite data: of `version` when it is published,
    else of the submission's leaderboard row (its latest version). Returns (EvaluationResult, results path)."""
    from tircost_bench.leaderboard.ranking import version_key
    from tircost_bench.leaderboard.store import published_entries, published_root

    entries, _ = published_entries(suite_name, leaderboard)
    mine = [e for e in entries if e.result.submission.name == submission and e.result.ok
            and e.result.suite.sha256 == suite_sha256]
    if not mine:
        where = published_root(leaderboard) / suite_name / submission
        raise LookupError(f"{submission!r} has no published results for suite {suite_name} (sha256 "
                          f"{suite_sha256[:12]}) under {where}: publish with `tircost-bench leaderboard --publish`, "
                          "or point --tircost-leaderboard at the folder that holds results/")
    same = [e for e in mine if e.result.submission.version == version]
    pool = same or mine
    pool.sort(key=lambda e: (version_key(e.result.submission.version), not e.result.retrain))
    return pool[-1].result, pool[-1].path


def _same_inputs(now: Any, pub: Any, same_version: bool) -> str:
    """Why seed `now` is deterministic given what the published seed had ("" when it is not)."""
    if now.predictions_sha256 and now.predictions_sha256 == pub.predictions_sha256:
        return "identical predictions"
    if now.checkpoint_used and pub.checkpoint_used and now.checkpoint and now.checkpoint == pub.checkpoint:
        return "same checkpoint"
    if same_version and not (now.trained or now.checkpoint_used or pub.trained or pub.checkpoint_used):
        return "untrained, same version"
    return ""


@dataclass
class Comparison:
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, line: str, bad: bool) -> None:
        self.lines.append(("FAIL " if bad else "ok   ") + line)
        if bad:
            self.failed.append(line)


def compare(result: Any, published: Any, tolerance: float, metrics: Sequence[str] = DEFAULT_METRICS) -> Comparison:
    """Compare like with like (see the module doc); one line per comparison."""
    from tircost_bench.metrics import get_metric

    out = Comparison()
    same_version = result.submission.version == published.submission.version
    pub_seeds = {s.seed: s for s in published.seeds if s.report is not None}
    now_seeds = [s for s in result.seeds if s.report is not None]
    why = {s.seed: _same_inputs(s, pub_seeds[s.seed], same_version) if s.seed in pub_seeds else "" for s in now_seeds}
    per_seed = bool(now_seeds) and all(why.values())
    for name in metrics:
        higher = get_metric(name).higher_is_better
        sign = 1.0 if higher else -1.0
        if per_seed:
            for s in now_seeds:
                now, pub = s.report.overall.get(name, math.nan), pub_seeds[s.seed].report.overall.get(name, math.nan)
                drop = sign * (pub - now)
                out.add(f"{name} seed {s.seed}: {now:.4f} now vs {pub:.4f} published for seed {s.seed} "
                        f"({why[s.seed]}; per-seed check, worse by {drop:.4f}, allowed {tolerance})",
                        not drop <= tolerance)
            continue
        now_stat, pub_stat = result.stat(name), published.stat(name)
        if now_stat is None or pub_stat is None or math.isnan(now_stat.mean) or math.isnan(pub_stat.mean):
            out.add(f"{name}: cannot compare (published {getattr(pub_stat, 'mean', None)}, now "
                    f"{getattr(now_stat, 'mean', None)})", True)
            continue
        std = 0.0 if math.isnan(pub_stat.std) else pub_stat.std
        allowed = BAND_Z * std / math.sqrt(now_stat.n) + tolerance
        drop = sign * (pub_stat.mean - now_stat.mean)
        out.add(f"{name}: mean of {now_stat.n} seed(s) {now_stat.mean:.4f} now vs published {pub_stat.mean:.4f} ± "
                f"{std:.4f} over {pub_stat.n} seeds (band check: seeds trained here; worse by {drop:.4f}, allowed "
                f"{BAND_Z:g}×{std:.4f}/√{now_stat.n} + {tolerance} = {allowed:.4f})", not drop <= allowed)
    return out


def assert_no_regression(result: Any, leaderboard: Path | None, tolerance: float,
                         metrics: Sequence[str] = DEFAULT_METRICS, version: str | None = None) -> Comparison:
    published, path = published_result(leaderboard, result.suite.name, result.suite.sha256, result.submission.name,
                                       version or result.submission.version)
    cmp = compare(result, published, tolerance, metrics)
    head = (f"{result.submission.name} {result.submission.version} on {result.suite.name} vs published "
            f"{published.submission.version} ({path}):\n  ")
    if cmp.failed:
        raise RegressionError(f"{result.submission.name} regressed: " + head + "\n  ".join(cmp.lines))
    return cmp


@pytest.fixture(scope="session")
def tircost_suite(request: pytest.FixtureRequest) -> Any:
    """The verified suite named by --tircost-suite (or the default suite)."""
    from tircost_bench.suite.loader import load_suite

    return load_suite(request.config.getoption("--tircost-suite"))


@pytest.fixture(scope="session")
def tircost_evaluate(tircost_suite: Any) -> Callable[..., Any]:
    """evaluate(submission path or name, seeds=1, retrain=False) -> EvaluationResult, untracked.

    Each seed's predictions digest is filled in, so a bit-identical seed is recognized as such."""
    from tircost_bench.evaluation.evaluate import evaluate
    from tircost_bench.evaluation.runs import predictions_sha256

    def run(submission: str | Path, seeds: int = 1, retrain: bool = False) -> Any:
        kept: list[Any] = []
        result = evaluate(submission, tircost_suite, seeds=seeds, retrain=retrain, progress=False, keep=kept)
        digests = {k.seed: predictions_sha256(k.predicted) for k in kept}
        for s in result.seeds:
            s.predictions_sha256 = digests.get(s.seed, s.predictions_sha256)
        return result

    return run


@pytest.fixture(scope="session")
def tircost_assert_no_regression(request: pytest.FixtureRequest) -> Callable[..., Comparison]:
    """assert_no_regression(result, metrics=..., tolerance=None, version=None): RegressionError listing
    every comparison when one fails; returns the Comparison otherwise."""
    option = request.config.getoption("--tircost-leaderboard")
    folder = Path(option) if option else None
    default_tol = request.config.getoption("--tircost-tolerance")

    def check(result: Any, metrics: Sequence[str] = DEFAULT_METRICS, tolerance: float | None = None,
              version: str | None = None) -> Comparison:
        return assert_no_regression(result, folder, default_tol if tolerance is None else tolerance, metrics, version)

    return check
