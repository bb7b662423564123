"""Leaderboard rows from results files: one row per submission (its latest version), ranked; older versions
form the history. Published files are the board; the user's own runs join it in `tircost-bench leaderboard`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.evaluation.results import Stat
from tircost_bench.leaderboard import rules
from tircost_bench.leaderboard.store import (
    LOCAL,
    PUBLISHED,
    Entry,
    Problem,
    latest_local,
    local_entries,
    published_entries,
    superseded,
)
from tircost_bench.metrics import get_metric

# Columns of the table: (metric, header). The first is not necessarily the ranking metric.
COLUMNS = (
    ("pairwise_accuracy", "pairwise"),
    ("peak_score@1", "peak@1"),
    ("peak_score@5", "peak@5"),
    ("top_k_recall@5", "top-5 recall"),
    ("rmse_logz", "rmse_logz"),
    ("network_score@1", "network score@1"),
)
ROW_CHOICE = "latest version"  # which version of a submission is its row (the others go to the history)


@dataclass
class Row:
    rank: int
    submission: str
    version: str
    seeds: int
    date: str  # UTC date of the evaluation
    suite_sha256: str
    git_commit: str
    deterministic: bool
    isolation: str
    verified: str  # rules.VERIFIED | SELF_REPORTED | NO_CHECKPOINT
    source: str  # store.PUBLISHED | LOCAL | "local: <why it cannot be published>"
    results: str  # the results file, relative to the leaderboard folder (published) or the runs folder
    metrics: dict[str, Stat] = field(default_factory=dict)  # registry metric name -> mean/std over seeds

    def to_json(self) -> dict[str, Any]:
        # Rounded, so the published JSON does not churn on float noise between identical runs.
        return {"rank": self.rank, "submission": self.submission, "version": self.version, "seeds": self.seeds,
                "deterministic": self.deterministic, "date": self.date, "suite_sha256": self.suite_sha256,
                "git_commit": self.git_commit, "isolation": self.isolation, "verified": self.verified,
                "results": self.results,
                "metrics": {m: {"mean": _round(s.mean), "std": _round(s.std)} for m, s in sorted(self.metrics.items())}}


@dataclass
class Board:
    suite: str
    suite_sha256: str | None
    metric: str
    rows: list[Row] = field(default_factory=list)
    history: list[Row] = field(default_factory=list)  # older published versions, newest first per submission
    problems: list[Problem] = field(default_factory=list)


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


def suite_ref(suite: Any) -> tuple[str, str | None]:
    """(suite name, current sha256 or None) from a Suite, a suite name or a suite folder."""
    if hasattr(suite, "manifest"):
        return suite.name, suite.sha256
    from tircost_bench.suite.catalog import suite_path
    from tircost_bench.suite.manifest import Manifest

    try:
        m = Manifest.read(suite_path(str(suite)))
        return m.suite, m.sha256
    except (FileNotFoundError, RuntimeError):
        return Path(str(suite)).name, None  # results recorded for a suite that is not checked out here


def version_key(version: str) -> tuple[int, Any]:
    """PEP 440 order where the version parses (0.10 > 0.9), else text order after every parsed version."""
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def make_row(main: Entry, retrains: list[Entry], metric: str, base: Path | None, source: str) -> Row:
    r = main.result
    stats = {m: r.stat(m) or Stat(math.nan, math.nan, 0) for m in dict.fromkeys([metric, *(c for c, _ in COLUMNS)])}
    try:
        shown = main.path.relative_to(base).as_posix() if base else main.path.as_posix()
    except ValueError:
        shown = main.path.as_posix()
    return Row(0, r.submission.name, r.submission.version, len(rules.scored_seeds(r)), r.created[:10],
               r.suite.sha256, r.environment.git_commit, rules.deterministic(r), r.isolation or "–",
               rules.verification(r, [e.result for e in retrains]), source, shown, stats)


def _by_version(entries: list[Entry]) -> dict[tuple[str, str], tuple[Entry, list[Entry]]]:
    """(submission, version) -> (main entry, retrain entries); the main is the checkpoint run when there is one."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    for e in entries:
        groups.setdefault(e.key, []).append(e)
    out = {}
    for key, group in groups.items():
        group.sort(key=lambda e: (not e.result.retrain, e.result.created))  # checkpoint runs last, newest last
        out[key] = (group[-1], [e for e in group if e.result.retrain])
    return out


def build_board(suite: Any, metric: str = "pairwise_accuracy", include_local: bool = True,
                leaderboard: Path | None = None, runs: Path | None = None) -> Board:
    """The board of the published results (plus, with `include_local`, the user's newest runs)."""
    from tircost_bench.paths import leaderboard_dir, runs_dir

    name, sha = suite_ref(suite)
    board = Board(name, sha, metric)
    pub, board.problems = published_entries(name, leaderboard)
    pub = [e for e in pub if e.result.ok and (sha is None or e.result.suite.sha256 == sha)]
    candidates = list(pub)
    extra: list[Entry] = []  # local runs that could not be published: shown, never in place of a row
    if include_local:
        loc, problems = local_entries(name, runs)
        board.problems += problems
        for e in latest_local(loc, sha):
            if superseded(e, pub):
                continue
            (candidates if not rules.violations(e.result) else extra).append(e)
    lb, rd = Path(leaderboard or leaderboard_dir()), Path(runs or runs_dir())
    base = {PUBLISHED: lb, LOCAL: rd}
    by_sub: dict[str, list[Row]] = {}
    for (sub, _), (main, retrains) in _by_version(candidates).items():
        by_sub.setdefault(sub, []).append(make_row(main, retrains, metric, base[main.source], main.source))
    for sub_rows in by_sub.values():
        sub_rows.sort(key=lambda r: version_key(r.version), reverse=True)
        board.rows.append(sub_rows[0])
        board.history.extend(sub_rows[1:])
    for main, retrains in _by_version(extra).values():
        why = "; ".join(sorted({v.rule for v in rules.violations(main.result)}))
        board.rows.append(make_row(main, retrains, metric, rd, f"{LOCAL}: not publishable ({why})"))
    rank(board.rows, metric)
    board.history.sort(key=lambda r: (r.submission, version_key(r.version)), reverse=True)
    return board


def rank(rows: list[Row], metric: str) -> None:
    """Best first by `metric` (honoring higher_is_better); missing values last; ties by name and version."""
    higher = get_metric(metric).higher_is_better

    def key(r: Row) -> tuple[int, float, str, str]:
        v = r.metrics[metric].mean
        return (1, 0.0, r.submission, r.version) if math.isnan(v) else (0, -v if higher else v, r.submission,
                                                                          r.version)

    rows.sort(key=key)
    for i, r in enumerate(rows, 1):
        r.rank = i


def ranked_rows(suite: Any, metric: str = "pairwise_accuracy", include_local: bool = True) -> list[Row]:
    return build_board(suite, metric, include_local).rows


def board_json(board: Board) -> str:
    return json.dumps({"suite": board.suite, "suite_sha256": board.suite_sha256, "ranked_by": board.metric,
                       "row_choice": ROW_CHOICE, "rows": [r.to_json() for r in board.rows],
                       "history": [r.to_json() for r in board.history]}, indent=1, sort_keys=True) + "\n"
