"""Metrics of a cost model's predictions, per task and per network (after TenSet, tie-aware, noise-aware).

Public API: TaskPredictions (input), Metric / METRICS / get_metric / register (registry),
compute_metrics -> MetricReport (aggregation), and the metric functions themselves. Formulas, references
and which published numbers each can be compared with: docs/metrics.md.
"""

from .aggregate import LARGE_TASK_PROGRAMS, MetricReport, TaskSubset, compute_metrics
from .network import network_score
from .ranking import (
    NOISE_BAND,
    NOISE_SIGMAS,
    best_of_top_k_distribution,
    pairs_within_noise,
    pairwise_accuracy,
    peak_score,
    top_k_recall,
)
from .registry import METRICS, RETIRED_METRICS, Metric, UnknownMetricError, get_metric, register
from .regression import rmse_logz
from .tenset import tenset_pairwise_accuracy, tenset_peak_score
from .types import TaskPredictions

__all__ = [
    "LARGE_TASK_PROGRAMS",
    "METRICS",
    "NOISE_BAND",
    "NOISE_SIGMAS",
    "RETIRED_METRICS",
    "Metric",
    "MetricReport",
    "TaskPredictions",
    "TaskSubset",
    "UnknownMetricError",
    "best_of_top_k_distribution",
    "compute_metrics",
    "get_metric",
    "network_score",
    "pairs_within_noise",
    "pairwise_accuracy",
    "peak_score",
    "register",
    "rmse_logz",
    "tenset_pairwise_accuracy",
    "tenset_peak_score",
    "top_k_recall",
]
