"""PerStoreFeature per Program: shape, finiteness, equality with the stock path, the on-disk cache. Real TVM."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tircost_bench.representations import features as F
from tircost_bench.representations.program import Program
from tircost_bench.suite.loader import Suite


@pytest.fixture(scope="module")
def suite(mini_suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """The conftest mini suite, loaded again: Programs of this module's own, no memo from other tests."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIRCOST_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        F.clear_memory_cache()
        s = Suite(mini_suite.path)
        yield s
        F.clear_memory_cache()


def test_shape_dtype_finite(suite: Suite) -> None:
    progs = suite.programs_of("train")
    feats = F.per_store_features(progs)
    assert len(feats) == len(progs)
    for f in feats:
        assert f.dtype == np.float32 and f.ndim == 2 and f.shape[1] == F.N_FEATURES and 1 <= f.shape[0] <= 16
        assert np.isfinite(f).all()
    assert F.per_store_features(progs)[0] is feats[0]  # memoized on the Program


def test_same_as_stock_extractor(suite: Suite) -> None:
    """Single replay + cheap context == Program.measure_candidate() (double replay) + stock extractor."""
    import tvm.s_tir.meta_schedule as ms

    progs = suite.programs_of("train")[:4]
    ctx = F.cheap_context(progs[0].workload)
    stock = ms.feature_extractor.PerStoreFeature().extract_from(ctx, [p.measure_candidate() for p in progs])
    for ours, ref in zip(F.per_store_features(progs), stock):
        np.testing.assert_array_equal(ours, ref.numpy().astype(np.float32))  # XGBModel casts too


def _cache_state() -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in F.cache_root().glob("*.npz")}


def test_disk_cache_round_trip(suite: Suite, monkeypatch: pytest.MonkeyPatch) -> None:
    progs = suite.programs_of("train")
    first = F.per_store_features(progs)
    assert _cache_state()
    # A fresh process: no memory tables, new Program objects; featurizing again would be a failure.
    F.clear_memory_cache()
    again = Suite(suite.path)
    monkeypatch.setattr(F, "_extract", lambda *a: pytest.fail("featurized despite the disk cache"))
    second = F.per_store_features(again.programs_of("train"))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    # Keyed by content, not by the suite: the same programs under other uids (a re-packed suite) hit it too.
    F.clear_memory_cache()
    moved = [Program(p.uid + 10_000, p.task_id, (), p.workload, p._record_json) for p in progs]
    for a, b in zip(first, F.per_store_features(moved)):
        np.testing.assert_array_equal(a, b)


def test_search_time_programs_use_memo_only(suite: Suite) -> None:
    """uid < 0 (programs built from MeasureCandidates) never touch the disk cache."""
    p = suite.programs_of("train")[0]
    F.per_store_features([p])
    twin = Program(-1, p.task_id, (), p.workload, p._record_json)
    before = _cache_state()
    F.clear_memory_cache()
    (f,) = F.per_store_features([twin])
    np.testing.assert_array_equal(f, F.per_store_features([p])[0])
    assert _cache_state() == before


def test_workload_features(suite: Suite) -> None:
    f = F.workload_features(suite.programs_of("train")[0].workload)
    assert f.ndim == 2 and f.shape[1] == F.N_FEATURES and np.isfinite(f).all()
