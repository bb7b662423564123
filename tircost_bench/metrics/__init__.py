"""Metrics of a cost model's predictions, per task and per network (TenSet definitions, tie-aware).

Public API: TaskPredictions (input), Metric / METRICS / get_metric / register (registry),
compute_metrics -> MetricReport (aggregation), and the metric functions themselves.
"""

from .aggregate import MetricReport, compute_metrics
from .network import network_score
from .ranking import NOISE_BAND, best_of_top_k_distribution, pairwise_accuracy, peak_score, top_k_recall
from .registry import METRICS, Metric, UnknownMetricError, get_metric, register
from .regression import rmse_z
from .types import TaskPredictions

__all__ = [
    "METRICS",
    "NOISE_BAND",
    "Metric",
    "MetricReport",
    "TaskPredictions",
    "UnknownMetricError",
    "best_of_top_k_distribution",
    "compute_metrics",
    "get_metric",
    "network_score",
    "pairwise_accuracy",
    "peak_score",
    "register",
    "rmse_z",
    "top_k_recall",
]
