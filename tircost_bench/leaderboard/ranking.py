"""Leaderboard rows from MLflow: the latest successful evaluation per (submission, version), ranked."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.evaluation.results import STATUS_OK, Stat
from tircost_bench.evaluation.tracking import ROLE_EVALUATION, client, experiment_id, metric_key
from tircost_bench.metrics import get_metric

# Columns of the published table: (metric, header). The first is not necessarily the ranking metric.
COLUMNS = (
    ("pairwise_accuracy", "pairwise"),
    ("peak_score@1", "peak@1"),
    ("peak_score@5", "peak@5"),
    ("top_k_recall@5", "top-5 recall"),
    ("rmse_z", "rmse_z"),
    ("network_score@1", "network score@1"),
)


@dataclass
class Row:
    rank: int
    submission: str
    version: str
    seeds: int
    date: str  # UTC date the evaluation started
    run_id: str
    suite_sha256: str
    git_commit: str
    metrics: dict[str, Stat] = field(default_factory=dict)  # registry metric name -> mean/std over seeds

    def to_json(self) -> dict[str, Any]:
        # Rounded, so the published JSON does not churn on float noise between identical runs.
        return {"rank": self.rank, "submission": self.submission, "version": self.version, "seeds": self.seeds,
                "date": self.date, "run_id": self.run_id, "suite_sha256": self.suite_sha256,
                "git_commit": self.git_commit,
                "metrics": {m: {"mean": _round(s.mean), "std": _round(s.std)} for m, s in sorted(self.metrics.items())}}


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
        return Path(str(suite)).name, None  # runs recorded for a suite that is not checked out here


def _runs(suite_name: str) -> list[Any]:
    mlc = client()
    exp = experiment_id(mlc, suite_name, create=False)
    if exp is None:
        return []
    runs, token = [], None
    while True:
        page = mlc.search_runs([exp], filter_string=(
            f"tags.role = '{ROLE_EVALUATION}' and attributes.status = 'FINISHED' and tags.status = '{STATUS_OK}'"),
            order_by=["attributes.start_time DESC"], max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def ranked_rows(suite: Any, metric: str = "pairwise_accuracy", all_versions: bool = False) -> list[Row]:
    """Rows ranked by `metric` (mean over seeds), best first, honoring higher_is_better.

    Only runs on the suite's current data (its sha256) count unless `all_versions`: a re-packed suite is
    a different benchmark. Ties (and missing values, ranked last) fall back to submission name and version.
    """
    higher = get_metric(metric).higher_is_better
    name, sha = suite_ref(suite)
    latest: dict[tuple[str, str], Any] = {}
    for run in _runs(name):  # newest first: the first seen per key is the latest
        tags = run.data.tags
        if sha and not all_versions and tags.get("suite_sha256") != sha:
            continue
        latest.setdefault((tags.get("submission", "?"), tags.get("version", "?")), run)
    rows = []
    for (sub, ver), run in latest.items():
        m = run.data.metrics
        stats = {}
        for metric_name in dict.fromkeys([metric, *(c for c, _ in COLUMNS)]):
            key = metric_key(metric_name)
            stats[metric_name] = Stat(m.get(f"{key}_mean", math.nan), m.get(f"{key}_std", math.nan),
                                      int(run.data.params.get("seeds", 0)))
        date = dt.datetime.fromtimestamp(run.info.start_time / 1000, dt.UTC).date().isoformat()
        rows.append(Row(0, sub, ver, int(run.data.params.get("seeds", 0)), date, run.info.run_id,
                        run.data.tags.get("suite_sha256", ""), run.data.tags.get("git_commit", ""), stats))

    def key(r: Row) -> tuple[int, float, str, str]:
        v = r.metrics[metric].mean
        return (1, 0.0, r.submission, r.version) if math.isnan(v) else (0, -v if higher else v, r.submission,
                                                                          r.version)

    rows.sort(key=key)
    for i, r in enumerate(rows, 1):
        r.rank = i
    return rows


def rows_json(suite_name: str, metric: str, rows: list[Row]) -> str:
    return json.dumps({"suite": suite_name, "ranked_by": metric, "rows": [r.to_json() for r in rows]},
                      indent=1, sort_keys=True) + "\n"
