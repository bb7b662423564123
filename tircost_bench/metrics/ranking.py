"""Per-task ranking metrics (after TenSet; docs/metrics.md): pairwise accuracy, top-k recall, peak score@k.

Ties in the *prediction* are never broken by input order: a constant predictor must not profit from
how records happen to be ordered. Every metric here is the expectation over a uniformly random
tie-break instead, so permuting a task's programs leaves every value unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# A pair is within noise, and left out of pairwise accuracy (neither order is "correct"), when its measured
# gap is at most NOISE_SIGMAS combined standard errors, sqrt(se_a^2 + se_b^2). Where a program's standard
# error is unknown (no repeat timings), the fixed band applies instead: a gap of at most NOISE_BAND of the
# faster latency. See docs/metrics.md for what these rules remove on the shipped suites.
NOISE_SIGMAS = 2.0
NOISE_BAND = 0.01

# Rows per block in the pair loops: bounds the temporaries to about CHUNK_ELEMS float64 each.
_CHUNK_ELEMS = 1 << 20


def _pair_blocks(
    measured: np.ndarray, measured_se: np.ndarray | None
) -> Iterator[tuple[slice, slice, np.ndarray, np.ndarray]]:
    """Blocks of the upper triangle (j > i): (rows, cols, upper, within_noise), each (rows x cols)-shaped."""
    m = np.asarray(measured, dtype=np.float64)
    se = None if measured_se is None else np.asarray(measured_se, dtype=np.float64)
    n = m.size
    rows = max(1, _CHUNK_ELEMS // max(n, 1))
    for s in range(0, n, rows):
        e = min(n, s + rows)
        mi, mj = m[s:e, None], m[None, s:]
        upper = np.arange(s, n)[None, :] > np.arange(s, e)[:, None]
        gap = np.abs(mi - mj)
        within = gap <= NOISE_BAND * np.minimum(mi, mj)
        if se is not None:
            si, sj = se[s:e, None], se[None, s:]
            known = np.isfinite(si) & np.isfinite(sj)
            with np.errstate(invalid="ignore"):  # NaN se: `known` is False there, the band decides
                by_se = gap <= NOISE_SIGMAS * np.sqrt(si**2 + sj**2)
            within = np.where(known, by_se, within)
        yield slice(s, e), slice(s, n), upper, within


def pairwise_accuracy(
    measured: np.ndarray, predicted: np.ndarray, measured_se: np.ndarray | None = None
) -> float:
    """Share of the pairs outside noise whose predicted order matches the measured order.

    Outside noise: gap > NOISE_SIGMAS * sqrt(se_a^2 + se_b^2) where both standard errors are known, else
    gap > NOISE_BAND * min(a, b) (both strict: a gap exactly at the bound is noise). A tie in the
    prediction earns 1/2 (the expected score of a random order). NaN without pairs outside noise.
    """
    m = np.asarray(measured, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    score2 = 0  # twice the credit, kept integral: correct = 2, tie = 1, wrong = 0
    eligible = 0
    for r, c, upper, within in _pair_blocks(m, measured_se):
        ok = upper & ~within
        agree = np.sign(m[r, None] - m[None, c]) * np.sign(p[r, None] - p[None, c])  # +1 match, 0 tie, -1 swap
        eligible += int(np.count_nonzero(ok))
        score2 += int(np.sum(agree[ok] + 1.0))
    if eligible == 0:
        return float("nan")
    return score2 / (2.0 * eligible)


def pairs_within_noise(measured: np.ndarray, measured_se: np.ndarray | None = None) -> tuple[int, int]:
    """(pairs within noise, all pairs) of a task, by the rule pairwise_accuracy skips pairs with."""
    n = int(np.asarray(measured).size)
    within_noise = sum(int(np.count_nonzero(u & w)) for _, _, u, w in _pair_blocks(measured, measured_se))
    return within_noise, n * (n - 1) // 2


@dataclass(frozen=True)
class PredictedTopK:
    """The model's top-k as a random set: all of `definite`, plus a uniform `m`-subset of `tied`."""

    k_eff: int  # min(k, n)
    definite: np.ndarray  # indices predicted strictly faster than the k-th predicted value
    tied: np.ndarray  # indices whose prediction equals the k-th predicted value
    m: int  # slots left for the tied group: 1 <= m <= len(tied)


def predicted_top_k(predicted: np.ndarray, k: int) -> PredictedTopK:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    p = np.asarray(predicted, dtype=np.float64)
    k_eff = min(k, p.size)
    threshold = np.partition(p, k_eff - 1)[k_eff - 1]  # k-th smallest prediction
    definite = np.flatnonzero(p < threshold)
    tied = np.flatnonzero(p == threshold)
    return PredictedTopK(k_eff, definite, tied, k_eff - definite.size)


def measured_top_k(measured: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k_eff smallest measured latencies; exact ties go to the lower index (stable sort)."""
    m = np.asarray(measured, dtype=np.float64)
    return np.argsort(m, kind="stable")[: min(k, m.size)]


def top_k_recall(measured: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """E|predicted top-k ∩ measured top-k| / k_eff, k_eff = min(k, n), over random prediction tie-breaks.

    Each of the m tied slots is filled uniformly from the tied group G, so by linearity the expected hits
    are |definite ∩ T| + m * |G ∩ T| / |G|.
    """
    top = predicted_top_k(predicted, k)
    in_true = np.zeros(np.asarray(measured).size, dtype=bool)
    in_true[measured_top_k(measured, k)] = True
    hits = (
        np.count_nonzero(in_true[top.definite]) + top.m * np.count_nonzero(in_true[top.tied]) / top.tied.size
    )
    return float(hits / top.k_eff)


def best_of_top_k_distribution(
    measured: np.ndarray, predicted: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distribution of the best measured latency among the predicted top-k: (values, probabilities).

    With the tied group's latencies sorted ascending l_1..l_g and a uniform m-subset of it,
    P(min of the subset = l_i) = C(g-i, m-1) / C(g, m). P_1 = m/g and
    P_{i+1} / P_i = (g-i-m+1) / (g-i), so a cumulative product gives all of them without huge
    binomials (stable for g in the thousands; far tails underflow to 0, which is their true size).
    The chosen best is then min(min(definite), l_i).
    """
    m_arr = np.asarray(measured, dtype=np.float64)
    top = predicted_top_k(predicted, k)
    lat = np.sort(m_arr[top.tied])
    g, m = lat.size, top.m
    i = np.arange(1, g, dtype=np.float64)
    ratios = np.clip((g - i - m + 1) / (g - i), 0.0, None)
    probs = (m / g) * np.concatenate(([1.0], np.cumprod(ratios)))
    if top.definite.size:
        lat = np.minimum(lat, m_arr[top.definite].min())
    return lat, probs


def peak_score(measured: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """E[best measured / best measured among the predicted top-k] over random prediction tie-breaks.

    The expectation is of the ratio (per task), unlike network_score, which takes the ratio of sums.
    """
    best = float(np.min(measured))
    values, probs = best_of_top_k_distribution(measured, predicted, k)
    return float(np.sum(probs * (best / values)))
