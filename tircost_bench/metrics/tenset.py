"""TenSet-compatible variants of pairwise accuracy and peak score@k, for comparison with published numbers.

Reference: TenSet (Zheng et al., NeurIPS 2021 Datasets and Benchmarks), tlc-pack/tenset,
python/tvm/auto_scheduler/cost_model/metric.py (metric_pairwise_comp_accuracy, metric_peak_score) and
scripts/train_model.py (evaluate_model: per-task values averaged with weights = programs per task).
TenSet works on throughputs (higher = faster); on latencies every order comparison flips, which leaves
both metrics unchanged. The program-count weighting is applied by compute_metrics (Metric.task_weighting).

Ties: TenSet's code resolves them by input order (its pairwise) or by numpy's unstable argsort (its top-k),
so its value on tied inputs depends on record order. Here each is the expectation over a uniformly random
order of the task's programs instead; without ties (continuous predictions, distinct latencies) that
expectation is exactly TenSet's value.
"""

from __future__ import annotations

import numpy as np

from .ranking import _CHUNK_ELEMS, peak_score


def tenset_pairwise_accuracy(measured: np.ndarray, predicted: np.ndarray) -> float:
    """Share of *all* n(n-1)/2 pairs whose predicted order matches the measured one: no noise band.

    TenSet scores pair (i < j) correct iff [pred_i faster than pred_j] == [measured_i faster than
    measured_j]. Averaged over the two orders of the pair that gives: distinct on both sides, 1 if the
    orders agree else 0; a tie on exactly one side, 1/2; tied on both sides, 1. n < 2: 0.5 (TenSet's value).
    """
    m = np.asarray(measured, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    n = m.size
    if n < 2:
        return 0.5
    rows = max(1, _CHUNK_ELEMS // n)
    credit2 = 0.0  # twice the credit: 1 + s_m * s_p + (1 - |s_m|) * (1 - |s_p|), s = sign of the difference
    for s in range(0, n, rows):
        e = min(n, s + rows)
        upper = np.arange(s, n)[None, :] > np.arange(s, e)[:, None]
        sm = np.sign(m[s:e, None] - m[None, s:])[upper]
        sp = np.sign(p[s:e, None] - p[None, s:])[upper]
        credit2 += float(np.sum(1.0 + sm * sp + (1.0 - np.abs(sm)) * (1.0 - np.abs(sp))))
    return credit2 / (n * (n - 1))


def tenset_peak_score(measured: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """Mean of the running-best curve over the model's top-k: (1/k') * sum_{j=1..k'} best / best-of-top-j,
    k' = min(k, n) (TenSet's metric_peak_score: mean of max_curve(throughputs of the top-k) / max).

    Each term is peak_score(.., j), the expectation over random prediction tie-breaks, so the mean is the
    expectation of TenSet's curve mean (linearity). tenset_peak_score@1 equals peak_score@1 per task; the
    two differ only in how compute_metrics averages tasks.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    k_eff = min(k, int(np.asarray(measured).size))
    return float(np.mean([peak_score(measured, predicted, j) for j in range(1, k_eff + 1)]))
