"""Compute the registered metrics over a set of tasks and aggregate them into one report."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .registry import METRICS, Metric, get_metric
from .types import TaskPredictions

REPORT_SCHEMA = 1  # bump when the JSON layout changes; from_json refuses unknown versions


def _mean(pairs: Iterable[tuple[float, float]]) -> float:
    """Weighted mean of (value, weight), skipping NaN values; NaN if nothing is left (no warning)."""
    total = wsum = 0.0
    for value, weight in pairs:
        if not math.isnan(value):
            total += weight * value
            wsum += weight
    return total / wsum if wsum else float("nan")


@dataclass
class MetricReport:
    """Aggregated results.

    overall:     per-task metrics: plain mean over tasks (NaN tasks skipped);
                 network metrics: plain mean over the networks.
    weighted:    per-task metrics only, mean weighted by task weight (occurrences in the test networks).
                 Network scores are weighted by construction and appear only in `overall`/`per_network`.
    per_network: network id -> per-task metrics (plain mean over the network's tasks) and its network scores.
    per_task:    task id -> per-task metric values (NaN where undefined, e.g. one program).
    """

    overall: dict[str, float]
    weighted: dict[str, float]
    per_network: dict[str, dict[str, float]]
    per_task: dict[str, dict[str, float]]
    n_tasks: int
    n_programs: int
    metrics: list[str] = field(default_factory=list)  # names in the order computed

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: NaN (not valid JSON) is written as null and read back as NaN."""
        return {
            "schema": REPORT_SCHEMA,
            "metrics": list(self.metrics),
            "n_tasks": self.n_tasks,
            "n_programs": self.n_programs,
            "overall": _encode(self.overall),
            "weighted": _encode(self.weighted),
            "per_network": {k: _encode(v) for k, v in self.per_network.items()},
            "per_task": {k: _encode(v) for k, v in self.per_task.items()},
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MetricReport:
        if d.get("schema") != REPORT_SCHEMA:
            raise ValueError(
                f"unsupported MetricReport schema {d.get('schema')!r} (expected {REPORT_SCHEMA})"
            )
        return cls(
            overall=_decode(d["overall"]),
            weighted=_decode(d["weighted"]),
            per_network={k: _decode(v) for k, v in d["per_network"].items()},
            per_task={k: _decode(v) for k, v in d["per_task"].items()},
            n_tasks=int(d["n_tasks"]),
            n_programs=int(d["n_programs"]),
            metrics=list(d.get("metrics", [])),
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

    per_task = {
        t.task_id: {m.name: float(m.per_task(t.measured, t.predicted)) for m in task_metrics}  # type: ignore[misc]
        for t in tasks
    }
    # Networks in first-seen order, so the report layout follows the input.
    networks = list(dict.fromkeys(n for t in tasks for n in t.network_weights))

    per_network: dict[str, dict[str, float]] = {}
    for net in networks:
        members = [t for t in tasks if net in t.network_weights]
        row = {m.name: _mean((per_task[t.task_id][m.name], 1.0) for t in members) for m in task_metrics}
        row.update({m.name: float(m.per_network(tasks, net)) for m in net_metrics})  # type: ignore[misc]
        per_network[net] = row

    overall: dict[str, float] = {}
    weighted: dict[str, float] = {}
    for m in task_metrics:
        overall[m.name] = _mean((per_task[t.task_id][m.name], 1.0) for t in tasks)
        weighted[m.name] = _mean((per_task[t.task_id][m.name], float(t.weight)) for t in tasks)
    for m in net_metrics:
        overall[m.name] = _mean((per_network[n][m.name], 1.0) for n in networks)

    return MetricReport(
        overall=overall,
        weighted=weighted,
        per_network=per_network,
        per_task=per_task,
        n_tasks=len(tasks),
        n_programs=sum(t.n_programs for t in tasks),
        metrics=names,
    )
