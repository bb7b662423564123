"""Load the published results files into the local MLflow store, so `mlflow ui` shows every published run.

Idempotent: a published run is recorded once per results-file digest (tag `results_sha256`); a changed file
(a newer run of that version) is recorded as a new run, and the leaderboard never reads MLflow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.evaluation.runs import file_sha256
from tircost_bench.leaderboard.store import Entry, Problem, published_entries, published_root

SOURCE_TAG = "source"  # "published" on runs loaded from leaderboard/results/


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)  # MLflow run ids
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


def _suites(leaderboard: Path | None) -> list[str]:
    root = published_root(leaderboard)
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _record(mlc: Any, entry: Entry, digest: str) -> str:
    from mlflow.entities import Param

    from tircost_bench.evaluation.tracking import (
        ROLE_EVALUATION,
        aggregate_metrics,
        experiment_id,
        log_dataset,
        log_metrics,
        log_run_files,
        log_seeds,
    )

    r = entry.result
    exp = experiment_id(mlc, r.suite.name)
    tags = {"submission": r.submission.name, "version": r.submission.version, "suite": r.suite.name,
            "suite_version": r.suite.version, "suite_sha256": r.suite.sha256}
    run = mlc.create_run(exp, run_name=f"{r.submission.name}-{r.submission.version}" + ("-retrain" * r.retrain),
                         start_time=_millis(r.created), tags={
                             **tags, "role": ROLE_EVALUATION, "status": r.status, SOURCE_TAG: entry.source,
                             "results_sha256": digest, "git_commit": r.environment.git_commit,
                             "isolation": r.isolation})
    rid = run.info.run_id
    params = {"seeds": str(len(r.seeds)), "retrain": str(r.retrain),
              **{f"param.{k}": json.dumps(v)[:6000] for k, v in sorted(r.submission.parameters.items())}}
    mlc.log_batch(rid, params=[Param(k, v) for k, v in params.items()])
    log_dataset(mlc, rid, r.suite.name, r.suite.sha256, r.suite.version, r.suite.path or r.suite.name)
    log_seeds(mlc, exp, rid, r, tags)
    log_metrics(mlc, rid, aggregate_metrics(r.aggregate))
    log_run_files(mlc, rid, entry.path, r)
    mlc.set_terminated(rid, "FINISHED", end_time=_millis(r.created))
    return rid


def _millis(iso: str) -> int:
    import datetime as dt

    return int(dt.datetime.fromisoformat(iso).timestamp() * 1000)


def sync_mlflow(suite: str | None = None, leaderboard: Path | None = None) -> SyncReport:
    """Record every published results file (of `suite`, or of all suites) that the MLflow store lacks."""
    from tircost_bench.evaluation.tracking import client, experiment_id
    from tircost_bench.paths import leaderboard_dir

    folder = Path(leaderboard or leaderboard_dir())
    mlc = client()
    report = SyncReport()
    for name in [suite] if suite else _suites(folder):
        entries, problems = published_entries(name, folder)
        report.problems += problems
        exp = experiment_id(mlc, name, create=False)
        known = set()
        if exp is not None:
            runs = mlc.search_runs([exp], filter_string=f"tags.{SOURCE_TAG} = 'published'", max_results=50000)
            known = {run.data.tags.get("results_sha256") for run in runs}
        for entry in entries:
            digest = file_sha256(entry.path)
            if digest in known:
                report.unchanged += 1
                continue
            report.added.append(_record(mlc, entry, digest))
            known.add(digest)
    return report
