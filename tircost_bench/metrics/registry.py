"""The one registry of metrics, looked up by name (e.g. "peak_score@1")."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from .network import network_score
from .ranking import pairwise_accuracy, peak_score, top_k_recall
from .regression import rmse_z
from .types import TaskPredictions

PerTaskFn = Callable[[np.ndarray, np.ndarray], float]  # (measured, predicted) -> value or NaN
PerNetworkFn = Callable[[Sequence[TaskPredictions], str], float]  # (all tasks, network id) -> value


@dataclass(frozen=True)
class Metric:
    """A named metric, computed either per task (then averaged) or per network (TenSet network score)."""

    name: str
    higher_is_better: bool
    description: str
    per_task: PerTaskFn | None = None
    per_network: PerNetworkFn | None = None

    def __post_init__(self) -> None:
        if (self.per_task is None) == (self.per_network is None):
            raise ValueError(f"metric {self.name!r}: give exactly one of per_task and per_network")

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
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} is already registered")
    METRICS[metric.name] = metric
    return metric


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        close = difflib.get_close_matches(name, METRICS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownMetricError(
            f"unknown metric {name!r}{hint} (known: {', '.join(sorted(METRICS))})"
        ) from None


def _register_builtins() -> None:
    register(
        Metric(
            "pairwise_accuracy",
            True,
            "Share of program pairs (measured >1% apart) whose predicted order is right; prediction ties 1/2.",
            per_task=pairwise_accuracy,
        )
    )
    for k in (1, 5, 10):
        register(
            Metric(
                f"top_k_recall@{k}",
                True,
                f"|predicted top-{k} ∩ measured top-{k}| / min({k}, n), expected over prediction tie-breaks.",
                per_task=partial(top_k_recall, k=k),
            )
        )
    for k in (1, 5):
        register(
            Metric(
                f"peak_score@{k}",
                True,
                f"Best measured latency / best measured latency among the predicted top-{k} (expected over ties).",
                per_task=partial(peak_score, k=k),
            )
        )
    register(
        Metric(
            "rmse_z",
            False,
            "RMSE of predicted vs measured latency, z-scored by the task's measured mean and std.",
            per_task=rmse_z,
        )
    )
    for k in (1, 5):
        register(
            Metric(
                f"network_score@{k}",
                True,
                f"TenSet network score: sum w*best / sum w*E[best among predicted top-{k}] over a network's tasks.",
                per_network=partial(network_score, k=k),
            )
        )


_register_builtins()
