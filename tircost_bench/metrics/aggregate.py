"""Compute the registered metrics over a set of tasks and aggregate them into one report (docs/metrics.md)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .registry import METRICS, Metric, get_metric
from .types import TaskPredictions

# Bump when the JSON layout changes; from_json reads every version listed in READABLE_SCHEMAS.
# 2: large_tasks (metrics without the small tasks) and noise_pair_share.
REPORT_SCHEMA = 2
READABLE_SCHEMAS = (1, 2)

# Tasks with fewer programs than this are "small": mostly elementwise/norm tasks whose programs differ by
# a few percent, where every model sits near chance; large_tasks shows the scores without them.
LARGE_TASK_PROGRAMS = 20


def _mean(pairs: Iterable[tuple[float, float]]) -> float:
    """Weighted mean of (value, weight), skipping NaN values; NaN if nothing is left (no warning)."""
    total = wsum = 0.0
    for value, weight in pairs:
        if not math.isnan(value):
            total += weight * value
            wsum += weight
    return total / wsum if wsum else float("nan")


@dataclass
class TaskSubset:
    """The per-task metrics restricted to tasks with >= min_programs programs, and the shares they hold."""

    min_programs: int
    n_tasks: int
    task_share: float  # of the report's tasks
    weight_share: float  # of the network-occurrence weight (the `weighted` section's weights)
    program_share: float  # of the programs
    overall: dict[str, float]
    weighted: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "min_programs": self.min_programs, "n_tasks": self.n_tasks, "task_share": self.task_share,
            "weight_share": self.weight_share, "program_share": self.program_share,
            "overall": _encode(self.overall), "weighted": _encode(self.weighted),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TaskSubset:
        return cls(int(d["min_programs"]), int(d["n_tasks"]), float(d["task_share"]), float(d["weight_share"]),
                   float(d["program_share"]), _decode(d["overall"]), _decode(d["weighted"]))


@dataclass
class MetricReport:
    """Aggregated results.

    overall:     per-task metrics: plain mean over tasks (NaN tasks skipped);
                 network metrics: plain mean over the networks.
    weighted:    per-task metrics only, mean weighted by task weight (occurrences in the test networks).
                 Network scores are weighted by construction and appear only in `overall`/`per_network`.
    per_network: network id -> per-task metrics (plain mean over the network's tasks) and its network scores.
    per_task:    task id -> per-task metric values (NaN where undefined, e.g. one program).
    A metric with task_weighting "programs" (the tenset_* ones) is averaged with program counts as
    weights in `overall` and `per_network` instead of a plain mean.
    large_tasks: the same per-task aggregates over tasks with >= LARGE_TASK_PROGRAMS programs, and the
                 share of tasks/weight/programs they hold (None in schema-1 reports).
    noise_pair_share: pairs within measurement noise / all pairs, pooled over the tasks (NaN when
                 pairs_within_noise was not computed, and in schema-1 reports).
    """

    overall: dict[str, float]
    weighted: dict[str, float]
    per_network: dict[str, dict[str, float]]
    per_task: dict[str, dict[str, float]]
    n_tasks: int
    n_programs: int
    metrics: list[str] = field(default_factory=list)  # names in the order computed
    large_tasks: TaskSubset | None = None
    noise_pair_share: float = float("nan")
    schema: int = REPORT_SCHEMA  # the layout it was read in; a schema-1 report is written back as schema 1

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: NaN (not valid JSON) is written as null and read back as NaN."""
        out: dict[str, Any] = {
            "schema": self.schema,
            "metrics": list(self.metrics),
            "n_tasks": self.n_tasks,
            "n_programs": self.n_programs,
            "overall": _encode(self.overall),
            "weighted": _encode(self.weighted),
            "per_network": {k: _encode(v) for k, v in self.per_network.items()},
            "per_task": {k: _encode(v) for k, v in self.per_task.items()},
            "large_tasks": None if self.large_tasks is None else self.large_tasks.to_json(),
            "noise_pair_share": None if math.isnan(self.noise_pair_share) else self.noise_pair_share,
        }
        if self.schema == 1:  # written back as read: old results files round-trip unchanged
            del out["large_tasks"], out["noise_pair_share"]
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MetricReport:
        if d.get("schema") not in READABLE_SCHEMAS:
            raise ValueError(
                f"unsupported MetricReport schema {d.get('schema')!r} (this version reads {READABLE_SCHEMAS}; "
                "a newer tircost-bench may read it)"
            )
        large = d.get("large_tasks")  # absent in schema 1
        noise = d.get("noise_pair_share")
        return cls(
            overall=_decode(d["overall"]),
            weighted=_decode(d["weighted"]),
            per_network={k: _decode(v) for k, v in d["per_network"].items()},
            per_task={k: _decode(v) for k, v in d["per_task"].items()},
            n_tasks=int(d["n_tasks"]),
            n_programs=int(d["n_programs"]),
            metrics=list(d.get("metrics", [])),
            large_tasks=None if large is None else TaskSubset.from_json(large),
            noise_pair_share=float("nan") if noise is None else float(noise),
            schema=int(d["schema"]),
        )


def _encode(values: dict[str, float]) -> dict[str, float | None]:
    return {k: None if math.isnan(v) else float(v) for k, v in values.items()}


def _decode(values: dict[str, float | None]) -> dict[str, float]:
    return {k: float("nan") if v is None else float(v) for k, v in values.items()}


def compute_metrics(
    tasks: Sequence[TaskPredictions], metric_names: Sequence[str] | None = None
) -> MetricReport:
    """Compute `metric_names` (default: every registered metric) over `tasks`."""
    if not tasks:
        raise ValueError("compute_metrics needs at least one task")
    dupes = sorted(i for i, c in Counter(t.task_id for t in tasks).items() if c > 1)
    if dupes:
        raise ValueError(f"duplicate task ids: {dupes}")
    names = list(dict.fromkeys(METRICS if metric_names is None else metric_names))
    metrics: list[Metric] = [get_metric(n) for n in names]
    task_metrics = [m for m in metrics if m.per_task is not None]
    net_metrics = [m for m in metrics if m.per_network is not None]

    per_task = {t.task_id: {m.name: float(m.per_task(t)) for m in task_metrics} for t in tasks}  # type: ignore[misc]
    # Networks in first-seen order, so the report layout follows the input.
    networks = list(dict.fromkeys(n for t in tasks for n in t.network_weights))

    per_network: dict[str, dict[str, float]] = {}
    for net in networks:
        members = [t for t in tasks if net in t.network_weights]
        row = _task_means(task_metrics, per_task, members)[0]
        row.update({m.name: float(m.per_network(tasks, net)) for m in net_metrics})  # type: ignore[misc]
        per_network[net] = row

    overall, weighted = _task_means(task_metrics, per_task, tasks)
    for m in net_metrics:
        overall[m.name] = _mean((per_network[n][m.name], 1.0) for n in networks)

    large = [t for t in tasks if t.n_programs >= LARGE_TASK_PROGRAMS]
    large_overall, large_weighted = _task_means(task_metrics, per_task, large)
    large_tasks = TaskSubset(
        LARGE_TASK_PROGRAMS, len(large), len(large) / len(tasks),
        sum(t.weight for t in large) / sum(t.weight for t in tasks),
        sum(t.n_programs for t in large) / sum(t.n_programs for t in tasks),
        large_overall, large_weighted,
    )
    noise_pair_share = float("nan")
    if "pairs_within_noise" in names:  # pooled: each task's share weighted by its number of pairs
        noise_pair_share = _mean(
            (per_task[t.task_id]["pairs_within_noise"], t.n_programs * (t.n_programs - 1) / 2) for t in tasks
        )

    return MetricReport(
        overall=overall,
        weighted=weighted,
        per_network=per_network,
        per_task=per_task,
        n_tasks=len(tasks),
        n_programs=sum(t.n_programs for t in tasks),
        metrics=names,
        large_tasks=large_tasks,
        noise_pair_share=noise_pair_share,
    )


def _task_means(
    metrics: Sequence[Metric], per_task: dict[str, dict[str, float]], tasks: Sequence[TaskPredictions]
) -> tuple[dict[str, float], dict[str, float]]:
    """(mean by each metric's task weighting, mean weighted by network occurrences) over `tasks`."""
    plain: dict[str, float] = {}
    weighted: dict[str, float] = {}
    for m in metrics:
        values = [per_task[t.task_id][m.name] for t in tasks]
        by = [float(t.n_programs) for t in tasks] if m.task_weighting == "programs" else [1.0] * len(tasks)
        plain[m.name] = _mean(zip(values, by))
        weighted[m.name] = _mean(zip(values, [float(t.weight) for t in tasks]))
    return plain, weighted
