"""TenSet's network score@k: how close a network's total latency gets when, for each of its tasks, the
tuner keeps the best measured program among the model's top-k.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .ranking import best_of_top_k_distribution
from .types import TaskPredictions


def network_score(tasks: Sequence[TaskPredictions], network: str, k: int) -> float:
    """sum_t w_t * best_t / sum_t w_t * E[best among predicted top-k]_t over tasks t of `network`,
    w_t = network_weights[network]. Tasks not in the network are ignored; NaN if it has none.

    Prediction ties: the denominator uses the *expected* best latency of the top-k over a uniformly random
    tie-break (E[min], from the same distribution as peak_score). This is the ratio of expected network
    latencies, not the expectation of the ratio: the expected total latency is what a deployment sees.
    """
    num = 0.0
    den = 0.0
    for t in tasks:
        w = t.network_weights.get(network)
        if w is None:
            continue
        values, probs = best_of_top_k_distribution(t.measured, t.predicted, k)
        num += w * float(np.min(t.measured))
        den += w * float(np.sum(probs * values))
    if den == 0.0:
        return float("nan")
    return num / den
