"""Tests of the unit-free RMSE, the TenSet-compatible variants, the noise rule and the small-task section.

Each new metric is checked against a brute-force re-implementation: TenSet's own formulas (metric.py of
tlc-pack/tenset, re-typed here) averaged over every order of the programs, so ties are covered too.
Pure numpy; no TVM import.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from tircost_bench.metrics import (
    LARGE_TASK_PROGRAMS,
    NOISE_BAND,
    NOISE_SIGMAS,
    MetricReport,
    TaskPredictions,
    compute_metrics,
    pairs_within_noise,
    pairwise_accuracy,
    peak_score,
    ranking,
    rmse_logz,
    tenset,
    tenset_pairwise_accuracy,
    tenset_peak_score,
)

A = np.array


# ---------------------------------------------------------------- brute-force references


def _tenset_pairwise(preds, labels):
    """TenSet's metric_pairwise_comp_accuracy, on throughput-like values (higher = faster)."""
    n = len(preds)
    if n <= 1:
        return 0.5
    pc = (preds.reshape((-1, 1)) - preds) > 0
    lc = (labels.reshape((-1, 1)) - labels) > 0
    return np.triu(np.logical_not(np.logical_xor(pc, lc)), k=1).sum() / (n * (n - 1) / 2)


def _tenset_peak(preds, labels, k):
    """TenSet's metric_peak_score (mean of the running max of the top-k throughputs / max throughput)."""
    trials = np.argsort(preds, kind="stable")[::-1][:k]
    curve = np.maximum.accumulate(labels[trials]) / np.max(labels)
    return float(np.mean(curve))


def _over_orders(m, p, fn):
    """fn(throughput-like prediction, throughput) averaged over every order of the programs."""
    vals = []
    for perm in itertools.permutations(range(len(m))):
        idx = np.array(perm)
        vals.append(fn(-p[idx], 1.0 / m[idx]))  # latencies -> higher-is-faster, as TenSet expects
    return float(np.mean(vals))


def _inputs(seed):
    """Small tasks with measured and predicted ties (seed % 2) or all distinct values."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    if seed % 2:
        m = rng.integers(1, 4, size=n).astype(float)  # measured ties
        p = rng.integers(0, 3, size=n).astype(float)  # prediction ties
    else:
        m = rng.lognormal(size=n)
        p = m * rng.lognormal(sigma=1.0, size=n)
    return m, p


@pytest.mark.parametrize("seed", range(12))
def test_tenset_pairwise_is_tensets_formula_over_random_orders(seed):
    m, p = _inputs(seed)
    expected = _over_orders(m, p, _tenset_pairwise)
    assert tenset_pairwise_accuracy(m, p) == pytest.approx(expected, abs=1e-12)
    if seed % 2 == 0:  # no ties: TenSet's own value in any one order
        assert tenset_pairwise_accuracy(m, p) == pytest.approx(_tenset_pairwise(-p, 1.0 / m), abs=1e-12)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("k", [1, 2, 5])
def test_tenset_peak_is_tensets_curve_mean_over_random_orders(seed, k):
    m, p = _inputs(seed)
    expected = _over_orders(m, p, lambda q, t: _tenset_peak(q, t, k))
    assert tenset_peak_score(m, p, k) == pytest.approx(expected, abs=1e-12)


def test_tenset_variants_hand_cases():
    m = A([1.0, 2.0, 4.0])
    # predicted order 2, 0, 1 (latency 4, 1, 2): running best 4, 1, 1 -> curve 1/4, 1, 1
    p = A([0.2, 0.3, 0.1])
    assert tenset_peak_score(m, p, 1) == pytest.approx(0.25) == peak_score(m, p, 1)
    assert tenset_peak_score(m, p, 2) == pytest.approx((0.25 + 1) / 2)
    assert tenset_peak_score(m, p, 5) == pytest.approx((0.25 + 1 + 1) / 3)  # k' = n = 3
    # pairs (0,1) right, (0,2) wrong, (1,2) wrong; no band: a 0.1% gap counts as a pair
    assert tenset_pairwise_accuracy(m, p) == pytest.approx(1 / 3)
    assert tenset_pairwise_accuracy(A([1.0, 1.001]), A([2.0, 1.0])) == 0.0
    assert math.isnan(pairwise_accuracy(A([1.0, 1.001]), A([2.0, 1.0])))  # ours: within the 1% band
    assert tenset_pairwise_accuracy(A([3.0]), A([1.0])) == 0.5  # TenSet's value for n < 2


def test_tenset_chunked_matches_unchunked(monkeypatch):
    rng = np.random.default_rng(3)
    m, p = rng.lognormal(size=41), np.round(rng.lognormal(size=41), 1)
    whole = tenset_pairwise_accuracy(m, p)
    monkeypatch.setattr(tenset, "_CHUNK_ELEMS", 29)  # many row blocks, ragged last one
    assert tenset_pairwise_accuracy(m, p) == pytest.approx(whole, abs=1e-12)


def test_tenset_metrics_weight_tasks_by_program_count():
    rng = np.random.default_rng(5)
    tasks = []
    for i, n in enumerate((3, 9, 30)):
        m = rng.lognormal(size=n)
        tasks.append(TaskPredictions(f"t{i}", m, m * rng.lognormal(sigma=1.0, size=n), {"N": i + 1}))
    r = compute_metrics(tasks)
    sizes = [3, 9, 30]
    for name in ("tenset_pairwise_accuracy", "tenset_peak_score@1", "tenset_peak_score@5"):
        values = [r.per_task[t.task_id][name] for t in tasks]
        assert r.overall[name] == pytest.approx(np.average(values, weights=sizes))
        assert r.weighted[name] == pytest.approx(np.average(values, weights=[1, 2, 3]))  # network weights
    ours = [r.per_task[t.task_id]["peak_score@1"] for t in tasks]
    assert r.overall["peak_score@1"] == pytest.approx(np.mean(ours))


# ---------------------------------------------------------------- rmse_logz


@pytest.mark.parametrize("seed", range(6))
def test_rmse_logz_matches_correlation_identity_and_loop(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    m = rng.lognormal(mean=-9, size=n)
    p = m ** rng.uniform(0.2, 2.0) * rng.lognormal(sigma=1.0, size=n) * 10.0 ** rng.integers(-6, 6)
    lm, lp = np.log(m), np.log(p)
    zm = [(x - sum(lm) / n) / math.sqrt(sum((y - sum(lm) / n) ** 2 for y in lm) / n) for x in lm]
    zp = [(x - sum(lp) / n) / math.sqrt(sum((y - sum(lp) / n) ** 2 for y in lp) / n) for x in lp]
    loop = math.sqrt(sum((a - b) ** 2 for a, b in zip(zp, zm)) / n)
    assert rmse_logz(m, p) == pytest.approx(loop, rel=1e-9)
    assert rmse_logz(m, p) == pytest.approx(math.sqrt(2 * (1 - np.corrcoef(lm, lp)[0, 1])), rel=1e-9)
    assert rmse_logz(m, p * 1e9) == pytest.approx(rmse_logz(m, p), rel=1e-9)  # unit-free


def test_rmse_logz_constant_sides():
    m = A([1.0, 2.0, 3.0, 8.0])
    assert rmse_logz(m, np.full(4, 7.0)) == 1.0
    assert rmse_logz(np.full(4, 2.0), A([1.0, 2.0, 3.0, 4.0])) == 1.0  # measured constant: its z is 0
    assert rmse_logz(np.full(4, 2.0), np.full(4, 5.0)) == 0.0


# ---------------------------------------------------------------- noise rule


def _within_reference(m, se, i, j):
    if se is not None and np.isfinite(se[i]) and np.isfinite(se[j]):
        return abs(m[i] - m[j]) <= NOISE_SIGMAS * math.sqrt(se[i] ** 2 + se[j] ** 2)
    return abs(m[i] - m[j]) <= NOISE_BAND * min(m[i], m[j])


def _noise_pairwise_reference(m, p, se):
    score = n = within = 0.0
    for i, j in itertools.combinations(range(len(m)), 2):
        if _within_reference(m, se, i, j):
            within += 1
            continue
        n += 1
        s = np.sign(m[i] - m[j]) * np.sign(p[i] - p[j])
        score += 0.5 if s == 0 else float(s > 0)
    return (score / n if n else float("nan")), int(within)


def test_noise_rule_hand_case():
    m = A([1.00, 1.03, 2.00])
    p = A([2.0, 1.0, 3.0])  # pair (0,1) predicted wrong, the others right
    # se 0.01 each: (0,1) gap 0.03 > 2 * sqrt(2) * 0.01 = 0.028 -> scored (and wrong): 2/3
    assert pairwise_accuracy(m, p, A([0.01, 0.01, 0.01])) == pytest.approx(2 / 3)
    # se 0.02: bound 0.057 -> (0,1) within noise, skipped: 2/2
    assert pairwise_accuracy(m, p, A([0.02, 0.02, 0.02])) == 1.0
    assert pairs_within_noise(m, A([0.02, 0.02, 0.02])) == (1, 3)
    # unknown se (NaN) on one side of (0,1): the 1% band decides, 3% > 1% -> scored
    assert pairwise_accuracy(m, p, A([np.nan, 0.02, 0.02])) == pytest.approx(2 / 3)
    assert pairwise_accuracy(m, p, None) == pytest.approx(2 / 3)


@pytest.mark.parametrize("seed", range(8))
def test_noise_rule_matches_pair_loop(seed, monkeypatch):
    monkeypatch.setattr(ranking, "_CHUNK_ELEMS", 23)  # many blocks, ragged last one
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 45))
    m = rng.lognormal(sigma=0.05, size=n)  # close latencies: many pairs near the bounds
    se = m * rng.uniform(0.0, 0.03, size=n)
    se[rng.random(n) < 0.2] = np.nan  # some programs measured once
    p = np.round(m + rng.normal(scale=0.05, size=n), 2)
    acc, within = _noise_pairwise_reference(m, p, se)
    got = pairwise_accuracy(m, p, se)
    assert (math.isnan(acc) and math.isnan(got)) or got == pytest.approx(acc, abs=1e-12)
    assert pairs_within_noise(m, se) == (within, n * (n - 1) // 2)


def test_report_counts_pairs_within_noise():
    t1 = TaskPredictions("a", A([1.0, 1.03, 2.0]), A([2.0, 1.0, 3.0]), {"N": 1}, A([0.02, 0.02, 0.02]))
    t2 = TaskPredictions("b", A([1.0, 2.0]), A([1.0, 2.0]), {"N": 1}, A([0.01, 0.01]))
    r = compute_metrics([t1, t2])
    assert r.per_task["a"]["pairs_within_noise"] == pytest.approx(1 / 3)
    assert r.per_task["b"]["pairs_within_noise"] == 0.0
    assert r.noise_pair_share == pytest.approx(1 / 4)  # pooled: 1 of 3 + 1 pairs
    assert r.per_task["a"]["pairwise_accuracy"] == 1.0


def test_measured_se_validation():
    with pytest.raises(ValueError, match=r"task 't': measured_se has shape \(1,\), expected \(2,\)"):
        TaskPredictions("t", [1.0, 2.0], [1.0, 2.0], {}, [0.1])
    with pytest.raises(ValueError, match="measured_se must be >= 0 or NaN.*index 1"):
        TaskPredictions("t", [1.0, 2.0], [1.0, 2.0], {}, [0.1, -1.0])
    t = TaskPredictions("t", [1.0, 2.0], [1.0, 2.0], {}, [0.1, np.nan])
    with pytest.raises(ValueError):
        t.measured_se[0] = 1.0  # read-only copy


# ---------------------------------------------------------------- small tasks and report schema


def _sized_tasks(rng, sizes):
    tasks = []
    for i, n in enumerate(sizes):
        m = rng.lognormal(size=n)
        se = m * 0.01
        tasks.append(TaskPredictions(f"t{i}", m, m * rng.lognormal(sigma=0.5, size=n), {"N": 1 + i % 3}, se))
    return tasks


def test_large_tasks_section_is_the_report_without_small_tasks():
    rng = np.random.default_rng(1)
    sizes = [6, 12, LARGE_TASK_PROGRAMS - 1, LARGE_TASK_PROGRAMS, 40, 64]
    tasks = _sized_tasks(rng, sizes)
    r = compute_metrics(tasks)
    large = [t for t in tasks if t.n_programs >= LARGE_TASK_PROGRAMS]
    only_large = compute_metrics(large)
    sub = r.large_tasks
    assert sub is not None and sub.min_programs == LARGE_TASK_PROGRAMS and sub.n_tasks == 3
    assert sub.task_share == pytest.approx(3 / 6)
    assert sub.program_share == pytest.approx(sum(sizes[3:]) / sum(sizes))
    assert sub.weight_share == pytest.approx(sum(t.weight for t in large) / sum(t.weight for t in tasks))
    for name, value in only_large.weighted.items():
        assert sub.weighted[name] == pytest.approx(value, nan_ok=True)
    for name in sub.overall:
        assert sub.overall[name] == pytest.approx(only_large.overall[name], nan_ok=True)
    back = MetricReport.from_json(json.loads(json.dumps(r.to_json(), allow_nan=False)))
    assert back.large_tasks == r.large_tasks and back.noise_pair_share == r.noise_pair_share


def test_schema_1_report_still_loads():
    r = compute_metrics(_sized_tasks(np.random.default_rng(2), [5, 25]))
    old = r.to_json()
    old["schema"] = 1
    for key in ("large_tasks", "noise_pair_share"):  # what schema 1 did not have
        del old[key]
    old["overall"]["rmse_z"] = old["per_task"]["t1"]["rmse_z"] = 123.0  # a retired metric's stored value
    back = MetricReport.from_json(json.loads(json.dumps(old)))
    assert back.large_tasks is None and math.isnan(back.noise_pair_share)
    assert back.overall["rmse_z"] == 123.0 and back.per_task["t1"]["rmse_z"] == 123.0
    assert back.per_task["t0"] == r.per_task["t0"]
    assert back.to_json() == json.loads(json.dumps(old))  # written back as read
    with pytest.raises(ValueError, match="unsupported MetricReport schema 99"):
        MetricReport.from_json({**old, "schema": 99})
