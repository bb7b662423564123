"""The xgboost submission and the tvm_xgb baseline on the mini suite: fit, predict, save/load. Real TVM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import mean_pairwise, one_task_and_rest

from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.predictors.interface import Predictor
from tircost_bench.predictors.submission import load_submission
from tircost_bench.representations import features as F
from tircost_bench.suite.loader import LabeledPrograms, Suite

FAST = {"xgboost": {"num_boost_round": 20}, "tvm_xgb": {"early_stopping_rounds": 5}}  # seconds, not tens
FOLDERS = {"xgboost": PROJECT_ROOT / "submissions/xgboost", "tvm_xgb": PROJECT_ROOT / "baselines/tvm_xgb"}


@pytest.fixture(scope="module")
def splits(mini_suite: Suite,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabeledPrograms, LabeledPrograms]]:
    """The mini suite's train split (several tasks) and val split (one task), with Programs of this module's own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIRCOST_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        suite = Suite(mini_suite.path)
        train, valid = suite.labeled("train"), suite.labeled("val")
        assert len(set(train.task_ids)) >= 2 and len(set(valid.task_ids)) == 1 and len(valid) >= 2
        yield train, valid
        F.clear_memory_cache()


def make(name: str, seed: int = 0, **extra: object) -> Predictor:
    sub = load_submission(FOLDERS[name])
    return sub.predictor_class()(seed=seed, **{**sub.meta.parameters, **FAST[name], **extra})


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_fit_predict_save_load(name: str, splits: tuple[LabeledPrograms, LabeledPrograms],
                               tmp_path: Path) -> None:
    train, valid = splits
    everything = train.programs + valid.programs
    model = make(name)
    model.fit(train, valid)
    pred = model.predict(everything)
    assert pred.dtype == np.float64 and pred.shape == (len(everything),)
    assert np.isfinite(pred).all() and (pred > 0).all()
    assert model.predict([]).shape == (0,)
    model.save(tmp_path)
    restored = make(name)
    restored.load(tmp_path)
    np.testing.assert_array_equal(restored.predict(everything), pred)


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_seed_is_respected(name: str, splits: tuple[LabeledPrograms, LabeledPrograms]) -> None:
    train, valid = splits
    a, b = make(name, seed=3), make(name, seed=3)
    a.fit(train, valid)
    b.fit(train, valid)
    np.testing.assert_array_equal(a.predict(valid.programs), b.predict(valid.programs))


@pytest.mark.parametrize("objective", ["rank:pairwise", "reg:weighted", "auto"])
def test_xgboost_objectives(objective: str, splits: tuple[LabeledPrograms, LabeledPrograms]) -> None:
    train, valid = splits
    model = make("xgboost", objective=objective)
    model.fit(train, valid)
    assert model.objective in ("rank:pairwise", "reg:weighted")  # type: ignore[attr-defined]
    if objective == "auto":
        assert set(model.selection) == {"rank:pairwise", "reg:weighted"}  # type: ignore[attr-defined]
    # Within a task, latency is a decreasing function of the booster's score.
    score = model._score(train.programs)  # type: ignore[attr-defined]
    lat = model.predict(train.programs)
    tid = train.task_ids
    for t in set(tid):
        m = tid == t
        order = np.argsort(score[m])
        assert np.all(np.diff(lat[m][order]) <= 0)



def test_xgboost_update_learns_the_tuned_task(splits: tuple[LabeledPrograms, LabeledPrograms]) -> None:
    """Search's online hook: measurements of tasks the model never saw make it rank them better, and every
    update re-grows its trees on the trained booster (which stays as it was)."""
    one, tuned = one_task_and_rest(*splits)
    model = make("xgboost", online_rounds=20)
    model.fit(one, splits[1])
    trained_rounds = model.booster.num_boosted_rounds()  # type: ignore[attr-defined]
    before = model.predict(tuned.programs)
    half = len(tuned) // 2
    model.update(tuned.programs[:half], tuned.latencies[:half])
    model.update(tuned.programs[half:], tuned.latencies[half:])
    assert model.booster.num_boosted_rounds() == trained_rounds + 20  # type: ignore[attr-defined]
    acc_before, acc_after = mean_pairwise(before, tuned), mean_pairwise(model.predict(tuned.programs), tuned)
    assert acc_after > acc_before and acc_after >= 0.9, (acc_before, acc_after)
    model.fit(one, splits[1])  # a refit forgets the online history
    assert model._online == []  # type: ignore[attr-defined]
    np.testing.assert_array_equal(model.predict(tuned.programs), before)


def test_tvm_xgb_matches_stock_extractor(splits: tuple[LabeledPrograms, LabeledPrograms]) -> None:
    """Same booster, stock PerStoreFeature on real candidates vs our cached extractor: same scores."""
    import tvm.s_tir.meta_schedule as ms

    train, valid = splits
    model = make("tvm_xgb")
    model.fit(train, valid)
    assert model.model.last_train_size == model.model.data_size == len(train)  # type: ignore[attr-defined]
    assert len(model.model.data) == len(set(train.task_ids))  # one group per task  # type: ignore[attr-defined]
    stock = ms.cost_model.XGBModel(num_warmup_samples=0, adaptive_training=False)
    stock.booster, stock.data_size = model.model.booster, model.model.data_size  # type: ignore[attr-defined]
    progs = valid.programs
    ref = stock.predict(F.cheap_context(progs[0].workload), [p.measure_candidate() for p in progs])
    np.testing.assert_allclose(model.scores(progs), ref, rtol=0, atol=0)  # type: ignore[attr-defined]
