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
from goals import record

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


def _stock_rate(programs) -> tuple[float, float]:
    """Wall programs/s and programs per CPU-second of MetaSchedule's serial path in this process."""
    import resource

    from tircost_bench.representations import features as F

    t0, c0 = time.perf_counter(), sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    F.per_store_features(programs, workers=1, num_threads=1)  # serial: replay + stock PerStoreFeature
    cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - c0
    return len(programs) / (time.perf_counter() - t0), len(programs) / cpu


def _cpu_seconds() -> float:
    """CPU seconds of this process and the worker pool: on a shared machine, what the work cost."""
    import psutil

    from tircost_bench.representations import workers as W

    procs = [psutil.Process()] + ([psutil.Process(p.pid) for p in W._pool.procs] if W._pool else [])
    return sum(sum(p.cpu_times()[:2]) for p in procs)


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
    stock, stock_cpu = _stock_rate(_programs(h100, N_PROGRAMS // 4))
    _fresh_cache()
    progs = _programs(h100, N_PROGRAMS)
    for p in progs:
        _ = p.workload.ms_workload  # a workload decodes once per task per process: not per program
    t0, c0 = time.perf_counter(), _cpu_seconds()
    pred = model.predict(progs)
    cold = len(progs) / (time.perf_counter() - t0)
    # The rate `workers` free cores would give: programs per CPU-second of this process and its workers.
    free = len(progs) / (_cpu_seconds() - c0) * workers
    t0 = time.perf_counter()
    model.predict(progs)
    warm = len(progs) / (time.perf_counter() - t0)
    assert pred.shape == (len(progs),) and np.isfinite(pred).all()
    print(f"\n[predict] {name} on h100 test ({len(progs)} programs, {workers} workers, {os.cpu_count()} cores): "
          f"cold {cold:.0f} programs/s wall, {free:.0f} programs/s on {workers} free cores from CPU time "
          f"(goal >= {GOAL_PROGRAMS_S}), warm {warm:.0f} programs/s; "
          f"TVM stock serial replay + PerStoreFeature {stock:.0f} programs/s wall, {stock_cpu:.0f} per CPU-second "
          f"-> cold predict is {cold / stock:.2f}x (wall) / {free / stock_cpu:.2f}x (CPU) the stock featurization "
          "alone")
    record("predict", f"{name} cold predict on h100, wall", cold, "programs/s", at_least=GOAL_PROGRAMS_S,
           note=f"{len(progs)} programs, {workers} workers; {free:.0f}/s on free cores from CPU time")
    record("predict", f"{name} cold predict / TVM stock featurization", cold / stock, "x",
           note=f"stock serial replay + PerStoreFeature {stock:.0f} programs/s wall, same run")
