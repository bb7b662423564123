"""The one registry of metrics, looked up by name (e.g. "peak_score@1"). Formulas: docs/metrics.md."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from .network import network_score
from .ranking import pairs_within_noise, pairwise_accuracy, peak_score, top_k_recall
from .regression import rmse_logz
from .tenset import tenset_pairwise_accuracy, tenset_peak_score
from .types import TaskPredictions

PerTaskFn = Callable[[TaskPredictions], float]  # one task -> value or NaN
PerNetworkFn = Callable[[Sequence[TaskPredictions], str], float]  # (all tasks, network id) -> value

DOCS = "docs/metrics.md"
TASK_WEIGHTINGS = ("tasks", "programs")

# Names no longer registered -> why; old results files keep their stored values under these names.
RETIRED_METRICS = {
    "rmse_z": "retired: it measured the units a model predicts in (z-scored with the measured mean and std); "
    "use 'rmse_logz', unit-free (docs/metrics.md)",
}


@dataclass(frozen=True)
class Metric:
    """A named metric, computed either per task (then averaged) or per network (TenSet network score).

    task_weighting: how `overall` and `per_network` average a per-task metric: "tasks" (plain mean) or
    "programs" (weighted by the task's program count, as TenSet's scripts do). `weighted` always uses the
    tasks' network occurrences. diagnostic: describes the suite, not the model (never a ranking metric).
    """

    name: str
    higher_is_better: bool
    description: str
    per_task: PerTaskFn | None = None
    per_network: PerNetworkFn | None = None
    task_weighting: str = "tasks"
    diagnostic: bool = False

    def __post_init__(self) -> None:
        if (self.per_task is None) == (self.per_network is None):
            raise ValueError(f"metric {self.name!r}: give exactly one of per_task and per_network")
        if self.task_weighting not in TASK_WEIGHTINGS:
            raise ValueError(f"metric {self.name!r}: task_weighting must be one of {TASK_WEIGHTINGS}")

    @property
    def kind(self) -> str:
        return "task" if self.per_task is not None else "network"


class UnknownMetricError(KeyError):
    # KeyError's str() is the repr of its argument; show the message as written instead.
    def __str__(self) -> str:
        return str(self.args[0])


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add a metric; a name may be registered once (silently replacing one would change results)."""
    if metric.name in METRICS or metric.name in RETIRED_METRICS:
        raise ValueError(f"metric {metric.name!r} is already registered (or retired)")
    METRICS[metric.name] = metric
    return metric


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        if name in RETIRED_METRICS:
            raise UnknownMetricError(f"metric {name!r} is {RETIRED_METRICS[name]}") from None
        close = difflib.get_close_matches(name, METRICS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownMetricError(
            f"unknown metric {name!r}{hint} (known: {', '.join(sorted(METRICS))})"
        ) from None


def _of_latencies(fn: Callable[..., float], **kwargs: int) -> PerTaskFn:
    """A per-task function of (measured, predicted) as a function of the task record."""
    return lambda t: fn(t.measured, t.predicted, **kwargs)


def _noise_share(t: TaskPredictions) -> float:
    within, pairs = pairs_within_noise(t.measured, t.measured_se)
    return within / pairs if pairs else float("nan")


def _register_builtins() -> None:
    see = f"See {DOCS}."
    register(Metric(
        "pairwise_accuracy", True,
        "Share of program pairs outside measurement noise (gap > 2 combined standard errors, or > 1% where "
        f"unknown) whose predicted order is right; prediction ties 1/2. {see}",
        per_task=lambda t: pairwise_accuracy(t.measured, t.predicted, t.measured_se),
    ))
    for k in (1, 5, 10):
        register(Metric(
            f"top_k_recall@{k}", True,
            f"|predicted top-{k} ∩ measured top-{k}| / min({k}, n), expected over prediction tie-breaks. {see}",
            per_task=_of_latencies(top_k_recall, k=k),
        ))
    for k in (1, 5):
        register(Metric(
            f"peak_score@{k}", True,
            f"Best measured latency / best measured latency among the predicted top-{k} (expected over ties). "
            f"{see}",
            per_task=_of_latencies(peak_score, k=k),
        ))
    register(Metric(
        "rmse_logz", False,
        f"RMSE of z-scored log predicted vs z-scored log measured latency per task (unit-free; 1 = constant). {see}",
        per_task=_of_latencies(rmse_logz),
    ))
    register(Metric(
        "tenset_pairwise_accuracy", True,
        f"TenSet's pairwise accuracy: all pairs (no noise rule), tasks weighted by program count. {see}",
        per_task=_of_latencies(tenset_pairwise_accuracy), task_weighting="programs",
    ))
    for k in (1, 5):
        register(Metric(
            f"tenset_peak_score@{k}", True,
            f"TenSet's peak score@{k}: mean over j=1..{k} of best / best of the predicted top-j, tasks weighted "
            f"by program count. {see}",
            per_task=_of_latencies(tenset_peak_score, k=k), task_weighting="programs",
        ))
    for k in (1, 5):
        register(Metric(
            f"network_score@{k}", True,
            f"TenSet network score: sum w*best / sum w*E[best among predicted top-{k}] over a network's tasks. "
            f"{see}",
            per_network=partial(network_score, k=k),
        ))
    register(Metric(
        "pairs_within_noise", False,
        f"Share of a task's program pairs within measurement noise, left out of pairwise_accuracy. {see}",
        per_task=_noise_share, diagnostic=True,
    ))


_register_builtins()
