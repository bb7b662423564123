"""Where results files live and how they are read: the published ones (committed) and the user's own runs.

Published: leaderboard/results/SUITE/SUBMISSION/VERSION/results.json (+ predictions.npz), and the
verification run of that version, if any, in .../VERSION/retrain/. Local: paths.runs_dir()/SUITE/SUBMISSION/
VERSION/<time>-<id>/results.json. A file that cannot be read is reported by name and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tircost_bench.evaluation.results import EvaluationResult, ResultsSchemaError
from tircost_bench.evaluation.runs import RESULTS_FILE

PUBLISHED = "published"
LOCAL = "local"
RETRAIN_FOLDER = "retrain"


@dataclass
class Entry:
    """One readable results file."""

    path: Path
    result: EvaluationResult
    source: str  # PUBLISHED | LOCAL

    @property
    def key(self) -> tuple[str, str]:
        return self.result.submission.name, self.result.submission.version


@dataclass
class Problem:
    """A results file that was skipped, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


def published_root(leaderboard: Path | None = None) -> Path:
    from tircost_bench.paths import leaderboard_dir

    return Path(leaderboard or leaderboard_dir()) / "results"


def published_folder(leaderboard: Path | None, result: EvaluationResult) -> Path:
    """Where `result` is published: VERSION/ for a checkpoint (or untrained) run, VERSION/retrain/ for --retrain."""
    folder = published_root(leaderboard) / result.suite.name / result.submission.name / result.submission.version
    return folder / RETRAIN_FOLDER if result.retrain else folder


def _read(paths: list[Path], source: str) -> tuple[list[Entry], list[Problem]]:
    entries, problems = [], []
    for path in sorted(paths):
        try:
            entries.append(Entry(path, EvaluationResult.load(path), source))
        except (ResultsSchemaError, OSError) as err:
            problems.append(Problem(path, str(err).removeprefix(f"{path}: ")))
    return entries, problems


def published_entries(suite_name: str, leaderboard: Path | None = None) -> tuple[list[Entry], list[Problem]]:
    root = published_root(leaderboard) / suite_name
    return _read(list(root.glob(f"*/*/{RESULTS_FILE}")) + list(root.glob(f"*/*/{RETRAIN_FOLDER}/{RESULTS_FILE}")),
                 PUBLISHED)


def local_entries(suite_name: str, runs: Path | None = None) -> tuple[list[Entry], list[Problem]]:
    from tircost_bench.paths import runs_dir

    root = Path(runs or runs_dir()) / suite_name
    return _read(list(root.glob(f"*/*/*/{RESULTS_FILE}")), LOCAL)


def latest_local(entries: list[Entry], suite_sha256: str | None) -> list[Entry]:
    """The newest run per (submission, version, retrain) on the suite's current data: older ones are superseded."""
    latest: dict[tuple[str, str, bool], Entry] = {}
    for e in sorted(entries, key=lambda e: (e.result.created, e.path.as_posix())):
        if suite_sha256 and e.result.suite.sha256 != suite_sha256:
            continue
        latest[(*e.key, e.result.retrain)] = e
    return list(latest.values())


def superseded(local: Entry, published: list[Entry]) -> bool:
    """The local run is already published (same bytes), or older than the published run of its version."""
    for e in published:
        if (*e.key, e.result.retrain) == (*local.key, local.result.retrain):
            return local.path.read_bytes() == e.path.read_bytes() or local.result.created < e.result.created
    return False
