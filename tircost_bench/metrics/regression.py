"""Per-task regression metric on a per-task z-scale.

A global z-score over all tasks is what made the earlier GNN's RMSE meaningless (latencies span five
orders of magnitude, so a constant predictor scores 1.0); standardising within each task keeps every
task on the same footing.
"""

from __future__ import annotations

import numpy as np


def rmse_z(measured: np.ndarray, predicted: np.ndarray) -> float:
    """RMSE between measured and predicted latencies, both z-scored with the task's *measured* mean and
    population std (ddof=0). NaN when n < 2 or all measured latencies are equal (no scale). Lower is better.
    """
    m = np.asarray(measured, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    # Test equality directly: np.std of identical values can come out as a tiny non-zero number.
    if m.size < 2 or np.all(m == m[0]):
        return float("nan")
    sigma = float(np.std(m))
    # (p - mu)/sigma - (m - mu)/sigma == (p - m)/sigma; mu cancels.
    return float(np.sqrt(np.mean(((p - m) / sigma) ** 2)))
