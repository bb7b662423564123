"""Per-task regression metric, free of the units a model predicts in: RMSE of z-scored log latencies.

rmse_z (retired) z-scored the predictions with the *measured* mean and std, so a model predicting in
other units (scores, cycles, a latency off by a constant factor) got an arbitrary value: published
1.26 (xgboost) but 184,771 (random). Here each side is standardised with its own mean and std, in log
space, so only the shape of the prediction counts: any p = a * m**b with a, b > 0 scores 0.
"""

from __future__ import annotations

import numpy as np


def _zscore(values: np.ndarray) -> np.ndarray:
    """(x - mean) / std with the population std (ddof=0); all zeros when the values are all equal."""
    # Test equality directly: np.std of identical values can come out as a tiny non-zero number.
    if np.all(values == values[0]):
        return np.zeros_like(values)
    return (values - values.mean()) / values.std()


def rmse_logz(measured: np.ndarray, predicted: np.ndarray) -> float:
    """sqrt(mean((z(log predicted) - z(log measured))**2)) over a task's programs; lower is better.

    Both sides have unit variance, so this equals sqrt(2 * (1 - r)), r the Pearson correlation of the log
    latencies: 0 for a perfect (power-law) fit, about sqrt(2) for an uninformative model, 2 at worst.
    Edge cases, each chosen so the value still means "how far from the measured shape":
    - constant predictions (or constant measurements): that side's z is 0 (it carries no shape), so a
      constant predictor scores exactly 1, the score of predicting each task's mean log latency;
    - n < 2: NaN (no spread to compare), skipped by the aggregates;
    - a prediction <= 0: NaN (not a latency; the evaluator refuses such predictions before scoring).
    """
    m = np.asarray(measured, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if m.size < 2 or np.any(p <= 0):
        return float("nan")
    return float(np.sqrt(np.mean((_zscore(np.log(p)) - _zscore(np.log(m))) ** 2)))
