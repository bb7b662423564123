"""Tests of tircost_bench.metrics: hand-computed cases, tie handling, validation and order invariance.

Pure numpy; no TVM import.
"""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from tircost_bench.metrics import (
    METRICS,
    Metric,
    MetricReport,
    TaskPredictions,
    UnknownMetricError,
    best_of_top_k_distribution,
    compute_metrics,
    get_metric,
    network_score,
    pairwise_accuracy,
    peak_score,
    ranking,
    register,
    rmse_logz,
    top_k_recall,
)

A = np.array  # short alias for the hand cases


# ---------------------------------------------------------------- pairwise accuracy


def test_pairwise_hand_case():
    # pairs: (0,1) m 1<2, p 10<30 right; (0,2) 1<3, 10<20 right; (1,2) 2<3 but 30>20 wrong -> 2/3
    assert pairwise_accuracy(A([1.0, 2.0, 3.0]), A([10.0, 30.0, 20.0])) == pytest.approx(2 / 3)


def test_pairwise_prediction_tie_is_half_credit():
    # (0,1) predicted tie -> 1/2; (0,2) right; (1,2) right -> 2.5/3
    assert pairwise_accuracy(A([1.0, 2.0, 3.0]), A([5.0, 5.0, 6.0])) == pytest.approx(2.5 / 3)
    # constant predictor: every eligible pair is a tie -> exactly 1/2
    assert pairwise_accuracy(A([1.0, 2.0, 3.0, 4.0]), np.zeros(4)) == 0.5


def test_pairwise_noise_band_excludes_close_pair():
    # (0,1): |1.005 - 1| = 0.005 <= 1% of 1 -> noise, excluded (it would count as wrong: 3 > 1)
    # (0,2): 1 < 2 but 3 > 2 wrong; (1,2): 1.005 < 2 and 1 < 2 right -> 1/2 (1/3 without the band)
    assert pairwise_accuracy(A([1.0, 1.005, 2.0]), A([3.0, 1.0, 2.0])) == pytest.approx(0.5)
    # 2% apart is outside the band: the single pair counts, and is wrong
    assert pairwise_accuracy(A([1.0, 1.02]), A([2.0, 1.0])) == 0.0
    # the only pair is noise -> no eligible pair -> NaN
    assert math.isnan(pairwise_accuracy(A([1.0, 1.005]), A([2.0, 1.0])))


def test_pairwise_perfect_reversed_and_single():
    m = A([3.0, 1.0, 4.0, 1.5, 9.0, 2.6])
    assert pairwise_accuracy(m, 7 * m + 1) == 1.0
    assert pairwise_accuracy(m, -m) == 0.0
    assert math.isnan(pairwise_accuracy(A([1.0]), A([1.0])))


def _pairwise_reference(m, p):
    score = n = 0.0
    for i, j in itertools.combinations(range(len(m)), 2):
        if abs(m[i] - m[j]) > 0.01 * min(m[i], m[j]):
            n += 1
            s = np.sign(m[i] - m[j]) * np.sign(p[i] - p[j])
            score += 0.5 if s == 0 else float(s > 0)
    return score / n if n else float("nan")


def test_pairwise_chunked_matches_loop(monkeypatch):
    # A tiny chunk forces many row blocks, including a ragged last one, so block seams are exercised.
    monkeypatch.setattr(ranking, "_CHUNK_ELEMS", 37)
    rng = np.random.default_rng(0)
    m = rng.lognormal(size=53)
    m[10] = m[11] * 1.004  # one pair inside the noise band
    p = np.round(m + rng.normal(scale=0.5, size=53), 1)  # rounding creates prediction ties
    assert pairwise_accuracy(m, p) == pytest.approx(_pairwise_reference(m, p), abs=1e-12)


# ---------------------------------------------------------------- top-k recall


def test_recall_hand_case():
    m = A([4.0, 1.0, 3.0, 2.0, 5.0])  # measured order: idx 1, 3, 2, 0, 4
    p = A([0.1, 0.3, 0.2, 0.4, 0.5])  # predicted order: idx 0, 2, 1, 3, 4
    assert top_k_recall(m, p, 1) == 0.0  # {0} vs {1}
    assert top_k_recall(m, p, 2) == 0.0  # {0,2} vs {1,3}
    assert top_k_recall(m, p, 3) == pytest.approx(2 / 3)  # {0,2,1} vs {1,3,2}: hits 1,2
    assert top_k_recall(m, p, 10) == 1.0  # k_eff = n = 5: everything is in both sets


def test_recall_prediction_ties_in_expectation():
    # k=2: definite = {0} (p < 1); tied group G = {1,2,3} (p == 1) fills m = 1 slot.
    # measured top-2 T = {0,1}: hits = |{0} ∩ T| + 1 * |G ∩ T| / |G| = 1 + 1/3 -> recall 2/3
    m = A([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    p = A([0.0, 1.0, 1.0, 1.0, 2.0, 2.0])
    assert top_k_recall(m, p, 2) == pytest.approx(2 / 3)
    # Input order must not matter: moving the right tied program (idx 1) last in G changes nothing.
    assert top_k_recall(m[[0, 3, 2, 1, 4, 5]], p[[0, 3, 2, 1, 4, 5]], 2) == pytest.approx(2 / 3)


def test_constant_predictor_recall_and_peak():
    m = A([2.0, 4.0, 8.0, 1.0])
    c = np.full(4, 0.7)
    assert top_k_recall(m, c, 1) == pytest.approx(1 / 4)  # each program is picked w.p. 1/4
    # peak@1 = mean(best / l_i) = (1/2 + 1/4 + 1/8 + 1) / 4 = 0.46875
    assert peak_score(m, c, 1) == pytest.approx(0.46875)


def test_measured_ties_broken_by_index():
    # measured top-1 among equal latencies is the lower index (stable sort): idx 0.
    m = A([1.0, 1.0, 3.0])
    assert top_k_recall(m, A([0.0, 1.0, 2.0]), 1) == 1.0
    assert top_k_recall(m, A([1.0, 0.0, 2.0]), 1) == 0.0


# ---------------------------------------------------------------- peak score


def test_peak_hand_cases():
    # predictions 1.0, 3.0 -> top-1 is idx 0 with latency 2; best 1 -> 1/2
    assert peak_score(A([2.0, 1.0]), A([1.0, 3.0]), 1) == 0.5
    assert peak_score(A([2.0, 1.0]), A([1.0, 3.0]), 5) == 1.0  # k_eff = 2 covers the best
    # k=2: D = {0} (latency 3); G = {1,2,3} latencies sorted [1,2,6], m = 1.
    # best-of-top-2 = min(3, l_i) = 1, 2, 3 each w.p. 1/3 -> E[1/x] = (1 + 1/2 + 1/3) / 3 = 11/18
    assert peak_score(A([3.0, 1.0, 2.0, 6.0, 4.0]), A([0.0, 5.0, 5.0, 5.0, 9.0]), 2) == pytest.approx(11 / 18)


def test_peak_subset_min_distribution():
    # k=2, all three tied, m = 2 of g = 3, latencies sorted [1,2,5]:
    # P(min = l_i) = C(3-i, 1) / C(3, 2) = 2/3, 1/3, 0  (subsets {1,2},{1,5},{2,5})
    m, p = A([5.0, 1.0, 2.0, 4.0]), A([7.0, 7.0, 7.0, 9.0])
    values, probs = best_of_top_k_distribution(m, p, 2)
    np.testing.assert_allclose(values, [1.0, 2.0, 5.0])
    np.testing.assert_allclose(probs, [2 / 3, 1 / 3, 0.0], atol=1e-15)
    assert peak_score(m, p, 2) == pytest.approx(2 / 3 * 1 + 1 / 3 * 1 / 2)  # 5/6


def test_min_distribution_stable_for_large_groups():
    g, m_slots = 3000, 7
    lat = np.arange(1.0, g + 1.0)
    values, probs = best_of_top_k_distribution(lat, np.zeros(g), m_slots)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    for i in (1, 2, 50, 1000, 2990, 2994, 2995, g):  # exact C(g-i, m-1) / C(g, m) with big ints
        exact = Fraction(math.comb(g - i, m_slots - 1), math.comb(g, m_slots))
        assert probs[i - 1] == pytest.approx(float(exact), rel=1e-9, abs=1e-300)
    np.testing.assert_array_equal(values, lat)


def _brute_force_tie_average(m, p, k, fn):
    """Average of fn over every tie-break order: rank by prediction, then by a permutation key."""
    n = len(m)
    best = m.min()
    vals = []
    for perm in itertools.permutations(range(n)):
        order = np.lexsort((np.array(perm), p))
        top = order[: min(k, n)]
        vals.append(fn(m, top, best))
    return float(np.mean(vals))


def _recall_of(m, top, best):
    true = set(np.argsort(m, kind="stable")[: len(top)].tolist())
    return len(true & set(top.tolist())) / len(top)


def _peak_of(m, top, best):
    return best / m[top].min()


@pytest.mark.parametrize("seed", range(6))
def test_tie_expectation_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    m = rng.permutation(np.arange(1.0, n + 1.0)) * rng.uniform(0.5, 2.0)  # distinct latencies
    p = rng.integers(0, 3, size=n).astype(float)  # few distinct values -> large tie groups
    for k in (1, 2, 3, 5):
        assert top_k_recall(m, p, k) == pytest.approx(_brute_force_tie_average(m, p, k, _recall_of))
        assert peak_score(m, p, k) == pytest.approx(_brute_force_tie_average(m, p, k, _peak_of))


# ---------------------------------------------------------------- rmse_logz (more in test_metrics_variants.py)


def test_rmse_logz_hand_cases():
    m = A([1.0, 2.0, 4.0])
    assert rmse_logz(m, m.copy()) == 0.0
    assert rmse_logz(m, 1e6 * m**3) == pytest.approx(0.0, abs=1e-12)  # units and power laws cancel
    assert rmse_logz(m, 1.0 / m) == pytest.approx(2.0)  # reversed: z(log p) = -z(log m)
    assert rmse_logz(m, np.full(3, 0.5)) == 1.0  # constant: z = 0
    assert math.isnan(rmse_logz(A([2.0]), A([1.0])))  # n < 2
    assert math.isnan(rmse_logz(m, A([1.0, 0.0, 2.0])))  # not a latency


# ---------------------------------------------------------------- network score and aggregation


def _three_tasks():
    # A: best 1, the model's top-1 is the 2 -> peak@1 1/2. In network N, 3 times.
    a = TaskPredictions("A", A([1.0, 2.0]), A([2.0, 1.0]), {"N": 3})
    # B: top-1 is the best (10) -> peak@1 1. In N once.
    b = TaskPredictions("B", A([10.0, 20.0]), A([1.0, 2.0]), {"N": 1})
    # C: constant prediction over [1, 3] -> E[min of top-1] = 2; peak@1 = (1 + 1/3)/2 = 2/3. In M twice.
    c = TaskPredictions("C", A([1.0, 3.0]), A([0.0, 0.0]), {"M": 2})
    # D: one program: pairwise and rmse_logz NaN, recall@1 = peak@1 = 1. In no listed network -> weight 1.
    d = TaskPredictions("D", A([5.0]), A([5.0]), {})
    return [a, b, c, d]


def test_network_score_two_weighted_tasks():
    tasks = _three_tasks()
    # N: (3*1 + 1*10) / (3*2 + 1*10) = 13/16; C (network M) and D are ignored
    assert network_score(tasks, "N", 1) == pytest.approx(13 / 16)
    assert network_score(tasks, "N", 5) == 1.0  # k_eff = 2 keeps each task's best
    # M: ratio of expectations, 1 / E[min] = 1/2 (not the expected ratio 2/3 that peak@1 gives)
    assert network_score(tasks, "M", 1) == pytest.approx(1 / 2)
    assert math.isnan(network_score(tasks, "unknown-net", 1))


def test_compute_metrics_plain_vs_weighted_and_per_network():
    r = compute_metrics(_three_tasks())
    assert r.n_tasks == 4 and r.n_programs == 7
    assert r.per_task["D"]["top_k_recall@1"] == 1.0 and r.per_task["D"]["peak_score@1"] == 1.0
    assert math.isnan(r.per_task["D"]["pairwise_accuracy"])
    # peak@1 per task: A 1/2, B 1, C 2/3, D 1; weights 3, 1, 2, 1 (D: no network -> 1)
    assert r.overall["peak_score@1"] == pytest.approx((1 / 2 + 1 + 2 / 3 + 1) / 4)
    assert r.weighted["peak_score@1"] == pytest.approx((3 / 2 + 1 + 4 / 3 + 1) / 7)
    # pairwise: A 0, B 1, C 1/2 (tie), D NaN skipped -> plain 1/2, weighted (0 + 1 + 1) / 6 = 1/3
    assert r.overall["pairwise_accuracy"] == pytest.approx(1 / 2)
    assert r.weighted["pairwise_accuracy"] == pytest.approx(1 / 3)
    # network metrics: mean over networks N and M; not in `weighted`
    assert r.overall["network_score@1"] == pytest.approx((13 / 16 + 1 / 2) / 2)
    assert "network_score@1" not in r.weighted
    assert set(r.per_network) == {"N", "M"}
    assert r.per_network["N"]["peak_score@1"] == pytest.approx(3 / 4)
    assert r.per_network["N"]["network_score@1"] == pytest.approx(13 / 16)
    assert r.per_network["M"]["network_score@1"] == pytest.approx(1 / 2)


def test_compute_metrics_subset_json_roundtrip_and_errors():
    tasks = _three_tasks()
    r = compute_metrics(tasks, ["rmse_logz", "network_score@5"])
    assert list(r.overall) == ["rmse_logz", "network_score@5"]
    assert list(r.per_task["A"]) == ["rmse_logz"]
    full = compute_metrics(tasks)
    text = json.dumps(full.to_json(), allow_nan=False)  # NaN must not leak into the JSON
    back = MetricReport.from_json(json.loads(text))
    assert math.isnan(back.per_task["D"]["rmse_logz"])
    assert back.per_task["A"] == full.per_task["A"]
    assert back.overall == full.overall and back.n_programs == full.n_programs
    with pytest.raises(KeyError, match="did you mean 'rmse_logz'"):
        compute_metrics(tasks, ["rmse_log"])
    with pytest.raises(ValueError, match="duplicate task ids"):
        compute_metrics(tasks + [tasks[0]])
    with pytest.raises(ValueError):
        compute_metrics([])


# ---------------------------------------------------------------- validation and registry


def test_input_validation():
    with pytest.raises(ValueError, match=r"task 'conv1'.*3 measured latencies but 2 predictions"):
        TaskPredictions("conv1", [1.0, 2.0, 3.0], [1.0, 2.0], {})
    with pytest.raises(ValueError, match=r"task 'dense7'.*predicted.*non-finite.*index 1"):
        TaskPredictions("dense7", [1.0, 2.0], [1.0, np.nan], {})
    with pytest.raises(ValueError, match="task 't'.*measured.*non-finite"):
        TaskPredictions("t", [1.0, np.inf], [1.0, 2.0], {})
    with pytest.raises(ValueError, match="no measured programs"):
        TaskPredictions("t", [], [], {})
    with pytest.raises(ValueError, match="must be > 0"):
        TaskPredictions("t", [1.0, 0.0], [1.0, 2.0], {})
    with pytest.raises(ValueError, match="1-D"):
        TaskPredictions("t", [[1.0, 2.0]], [[1.0, 2.0]], {})
    with pytest.raises(ValueError, match="int >= 1"):
        TaskPredictions("t", [1.0], [1.0], {"net": 0})
    with pytest.raises(ValueError, match="int >= 1"):
        TaskPredictions("t", [1.0], [1.0], {"net": True})


def test_task_record_is_frozen_copy():
    src = [1.0, 2.0]
    weights = {"N": 2, "M": 1}
    t = TaskPredictions("t", np.array(src), src, weights)
    assert t.measured.dtype == np.float64 and t.weight == 3
    weights["N"] = 100  # the record keeps its own copy
    assert t.weight == 3
    with pytest.raises(ValueError):
        t.measured[0] = 9.0  # read-only array
    assert TaskPredictions("u", [1.0], [1.0], {}).weight == 1


def test_registry():
    assert set(METRICS) >= {
        "pairwise_accuracy",
        "top_k_recall@1",
        "top_k_recall@5",
        "top_k_recall@10",
        "peak_score@1",
        "peak_score@5",
        "rmse_logz",
        "tenset_pairwise_accuracy",
        "tenset_peak_score@1",
        "tenset_peak_score@5",
        "network_score@1",
        "network_score@5",
    }
    assert get_metric("rmse_logz").higher_is_better is False
    assert "rmse_z" not in METRICS
    with pytest.raises(UnknownMetricError, match="'rmse_z' is retired.*rmse_logz"):
        get_metric("rmse_z")
    assert get_metric("peak_score@1").higher_is_better is True
    with pytest.raises(UnknownMetricError, match="did you mean 'pairwise_accuracy'") as exc:
        get_metric("pairwise_acuracy")
    assert isinstance(exc.value, KeyError)
    with pytest.raises(ValueError, match="already registered"):
        register(Metric("rmse_logz", False, "dup", per_task=lambda t: 0.0))
    with pytest.raises(ValueError, match="already registered"):
        register(Metric("rmse_z", False, "retired", per_task=lambda t: 0.0))
    with pytest.raises(ValueError, match="exactly one"):
        Metric("x", True, "neither")


# ---------------------------------------------------------------- order invariance (property)


def _predictors(rng, m):
    n = m.size
    yield "noisy", m * rng.lognormal(sigma=0.3, size=n)
    yield "constant", np.full(n, 0.25)
    yield "coarse", np.round(np.log(m) + rng.normal(scale=0.3, size=n))  # many ties
    yield "reversed", -m


def _assert_same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key, x in a.items():
        y = b[key]
        assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12) or (math.isnan(x) and math.isnan(y)), (
            key,
            x,
            y,
        )


@pytest.mark.parametrize("seed", range(8))
def test_shuffling_programs_never_changes_any_metric(seed):
    rng = np.random.default_rng(seed)
    tasks = []
    for t in range(5):
        n = int(rng.integers(1, 60))
        m = rng.lognormal(mean=-9, sigma=1.0, size=n)  # distinct latencies (measured ties go by index)
        for name, p in _predictors(rng, m):
            nets = {"N": int(rng.integers(1, 4))} if t % 2 else {"M": 1, "N": 2}
            tasks.append(TaskPredictions(f"t{t}-{name}", m, p, nets))
    base = compute_metrics(tasks)
    for _ in range(3):
        shuffled = []
        for task in tasks:
            perm = rng.permutation(task.n_programs)
            shuffled.append(
                TaskPredictions(
                    task.task_id, task.measured[perm], task.predicted[perm], dict(task.network_weights)
                )
            )
        order = rng.permutation(len(shuffled))  # task order must not matter either
        other = compute_metrics([shuffled[i] for i in order])
        for tid in base.per_task:
            _assert_same(base.per_task[tid], other.per_task[tid])
        _assert_same(base.overall, other.overall)
        _assert_same(base.weighted, other.weighted)
        for net in base.per_network:
            _assert_same(base.per_network[net], other.per_network[net])
