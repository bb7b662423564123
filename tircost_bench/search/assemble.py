"""SearchResult from the measured events of a search's models, and the resume of an interrupted search."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.search.curves import Event, curve_metrics, network_curve
from tircost_bench.search.result import ModelResult, NetworkResult, SearchResult, SearchResultError

STOCK = "ms-xgb"


@dataclass
class ModelRun:
    """One model's search as it goes: events per measured batch, and its timing once it ends."""

    events: list[Event] = field(default_factory=list)
    seconds: float = 0.0
    trials: int = 0
    complete: bool = False
    order: int = -1
    timing: dict[str, float] = field(default_factory=dict)

    def events_json(self) -> list[list[Any]]:
        return [[e.seconds, e.trials, e.task, e.best if math.isfinite(e.best) else None] for e in self.events]

    @classmethod
    def from_result(cls, m: ModelResult, events: list[list[Any]]) -> ModelRun:
        evs = [Event(float(s), int(n), str(t), math.inf if b is None else float(b)) for s, n, t, b in events]
        return cls(evs, m.search_seconds, m.trials, m.complete, m.order, dict(m.timing))


def harness_commit(given: str | None = None) -> str:
    """The commit of the harness that measured: given, else $TIRCOST_HARNESS_COMMIT (a copy without .git,
    e.g. on a GPU machine), else this checkout's HEAD."""
    from tircost_bench.evaluation.results import git_commit
    from tircost_bench.paths import PROJECT_ROOT

    return given or os.environ.get("TIRCOST_HARNESS_COMMIT", "") or git_commit(PROJECT_ROOT)


def portable_folder(folder: Path) -> str:
    """The submission folder relative to the repository (no machine-local absolute path in results)."""
    from tircost_bench.paths import PROJECT_ROOT

    try:
        return Path(folder).resolve().relative_to(PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return Path(folder).name


def build_result(sub: Any, suite: Any, config: Any, tasks: list[Any], runs: dict[str, ModelRun],
                 predictor_info: dict, warnings: list[str], platform: dict, commit: str,
                 expected: Sequence[str] = ()) -> SearchResult:
    """Curves and metrics per network, totals per model, from what has been measured so far; complete once
    every model of `expected` (default: those in `runs`) has finished."""
    import tvm

    reference = STOCK if STOCK in runs and runs[STOCK].events else None
    networks = {}
    for nid in sorted({n for t in tasks for n in t.weights}):
        weights = {t.task_id: t.weights[nid] for t in tasks if nid in t.weights}
        curves = {name: network_curve(run.events, weights) for name, run in runs.items()}
        networks[nid] = NetworkResult(weights, curves, curve_metrics(curves, reference))
    models = {}
    for name, run in runs.items():
        best: dict[str, float] = {}
        for ev in run.events:
            best[ev.task] = ev.best
        models[name] = ModelResult(
            kind="submission" if name == sub.name else "reference", search_seconds=run.seconds,
            trials=run.trials, seconds_per_trial=run.seconds / run.trials if run.trials else None,
            task_best_latency={t: (v if math.isfinite(v) else None) for t, v in sorted(best.items())},
            complete=run.complete, order=run.order, timing=dict(run.timing), events=run.events_json())
    return SearchResult(
        suite={"name": suite.name, "version": suite.manifest.version, "sha256": suite.sha256},
        submission={"name": sub.name, "version": sub.meta.version, "folder": portable_folder(sub.folder),
                    **predictor_info},
        config=config.to_json(), reference_model=reference, target=dict(suite.manifest.target), platform=platform,
        tvm_version=tvm.__version__, harness_commit=commit, python=sys.version.split()[0], warnings=list(warnings),
        models=models, networks=networks,
        complete=bool(runs) and all(n in runs and runs[n].complete for n in (expected or runs)))


SAME_MACHINE = ("gpu", "cpu", "cores")  # platform fields a resumed model and the new ones must share


def resumable_runs(path: Path, sub: Any, suite: Any, config: Any, platform: dict[str, Any]) -> dict[str, ModelRun]:
    """The completed models of an earlier, interrupted search with the same submission, suite and config, on
    the same kind of machine (`platform`: the same GPU, CPU model and cores; a model timed on another card is
    no reference for this one's)."""
    if not path.is_file():
        return {}
    try:
        old = SearchResult.load(path)
    except SearchResultError:
        return {}
    same = (old.suite.get("sha256") == suite.sha256 and old.submission.get("version") == sub.meta.version
            and old.config == config.to_json()
            and all(old.platform.get(k) == platform.get(k) for k in SAME_MACHINE))
    if not same:
        return {}
    return {name: ModelRun.from_result(m, m.events) for name, m in old.models.items() if m.complete and m.events}


def resume_warning(path: Path, kept: dict[str, ModelRun], commit: str) -> str | None:
    """A warning for the result when the models kept from `path` were measured at another harness commit
    (the result records one commit: the one of this run)."""
    if not kept:
        return None
    old = SearchResult.load(path).harness_commit
    if old == commit:
        return None
    return (f"resumed: {', '.join(sorted(kept))} measured in an earlier run at harness commit {old[:12] or '(unknown)'}; "
            f"the other models at {commit[:12] or '(unknown)'}")
