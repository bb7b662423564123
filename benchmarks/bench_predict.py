"""Cold predict throughput on the shipped h100 suite (`tox -e bench`): xgboost and gcn_topk from their shipped
checkpoints, featurization included, against TVM's stock path measured in the same run.

Cold means cold: each measured predict runs on fresh Program objects (empty memo) with a fresh, empty
TIRCOST_CACHE_DIR set after the checkpoint is loaded (nothing a fit or an earlier phase wrote is read; the
suite store stays, it is the loaded suite). The worker pool is started before the clock (a process pays
that once, ~seconds). TVM's stock path is MetaSchedule's own per-candidate work in this process: trace
replay + PerStoreFeature, serial (what `ms.cost_model.XGBModel` does in tuning), on the same programs.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
GOAL_PROGRAMS_S = 400  # cold, 2 cores, featurization included
N_PROGRAMS = int(os.environ.get("TIRCOST_BENCH_PROGRAMS", "1200"))


def _fresh_cache() -> None:
    from tircost_bench.representations import features as F

    os.environ["TIRCOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="tircost-bench-cold-")
    F.clear_memory_cache()


def _programs(suite, n: int):
    from tircost_bench.representations.program import Program

    test = suite.programs_of("test")
    step = max(1, len(test) // n)
    # Fresh objects, spread over the test tasks; uid >= 0 so that the disk caches are written as in evaluate.
    return [Program(p.uid, p.task_id, p.networks, p.workload, p._record_json) for p in test[::step][:n]]


@pytest.fixture(scope="module")
def h100(tmp_path_factory):
    from tircost_bench.suite.loader import load_suite, store_root

    os.environ.setdefault("TIRCOST_STORE_DIR", str(store_root()))  # the store stays when the cache is emptied
    return load_suite("h100")


def _stock_rate(programs) -> float:
    from tircost_bench.representations import features as F

    t0 = time.perf_counter()
    F.per_store_features(programs, workers=1)  # this process, serial: replay + stock PerStoreFeature
    return len(programs) / (time.perf_counter() - t0)


def _start_pool() -> int:
    from tircost_bench.representations import workers as W

    n = W.default_workers()
    W.pool(n)
    return n


@pytest.mark.parametrize("name", ["xgboost", "gcn_topk"])
def test_cold_predict(name, h100):
    from tircost_bench.predictors.submission import load_submission

    sub = load_submission(ROOT / "submissions" / name)
    ckpt = sub.checkpoint_for(h100.sha256, 0)
    if ckpt is None:
        pytest.skip(f"{name} has no h100 checkpoint for seed 0")
    model = sub.create(seed=0)
    model.load(ckpt)
    workers = _start_pool()
    _fresh_cache()
    stock = _stock_rate(_programs(h100, N_PROGRAMS // 4))
    _fresh_cache()
    progs = _programs(h100, N_PROGRAMS)
    for p in progs:
        _ = p.workload.ms_workload  # a workload decodes once per task per process: not per program
    t0 = time.perf_counter()
    pred = model.predict(progs)
    cold = len(progs) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    model.predict(progs)
    warm = len(progs) / (time.perf_counter() - t0)
    assert pred.shape == (len(progs),) and np.isfinite(pred).all()
    print(f"\n[predict] {name} on h100 test ({len(progs)} programs, {workers} workers, {os.cpu_count()} cores): "
          f"cold {cold:.0f} programs/s (goal >= {GOAL_PROGRAMS_S}), warm {warm:.0f} programs/s; "
          f"TVM stock serial replay + PerStoreFeature {stock:.0f} programs/s -> cold predict is "
          f"{cold / stock:.2f}x the stock featurization alone")
