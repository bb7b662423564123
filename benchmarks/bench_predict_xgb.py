"""Predict throughput (programs/s) of the xgboost submission and the tvm_xgb baseline, featurization included.

    nice -n 19 python benchmarks/bench_predict_xgb.py --suite cpu-epyc2 --replicate 20
    nice -n 19 python benchmarks/bench_predict_xgb.py --suite cpu-epyc2 --limit 2000

Cold = fresh Program objects, empty memo, empty disk cache (a temporary TIRCOST_CACHE_DIR). Programs made
by --replicate are search-time copies (uid < 0) of the suite's programs. Also prints the stages of a cold
featurization (trace replay, extraction) and the warm (memoized) predict rate, which is the model alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Prints the stages and rates; returns each model's cold programs/s."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", default="cpu-epyc2")
    ap.add_argument("--replicate", type=int, default=1, help="copies of each program (uid < 0)")
    ap.add_argument("--limit", type=int, default=0, help="at most this many programs (0: all)")
    args = ap.parse_args(argv)
    from tircost_bench.suite.loader import store_root

    os.environ.setdefault("TIRCOST_STORE_DIR", str(store_root()))  # the suite store survives the fresh caches
    os.environ["TIRCOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="tircost-bench-")  # cold disk cache

    import numpy as np

    from tircost_bench.predictors.submission import load_submission
    from tircost_bench.representations import features as F
    from tircost_bench.representations.program import Program
    from tircost_bench.suite.catalog import suite_path
    from tircost_bench.suite.loader import Suite, load_suite

    suite = load_suite(args.suite)
    train = suite.labeled("train")
    models = {}
    for name, folder in (("xgboost", "submissions/xgboost"), ("tvm_xgb", "baselines/tvm_xgb")):
        sub = load_submission(ROOT / folder)
        models[name] = sub.create(seed=0)
        models[name].fit(train, suite.labeled("val"))

    def fresh() -> list[Program]:
        """New Program objects (empty memo), not registered with any suite unless copied from one."""
        F.clear_memory_cache()
        s = Suite(suite_path(args.suite), verify=False)
        base = [p for split in ("train", "val", "test") for p in s.programs_of(split)]
        if args.replicate > 1:
            base = [Program(-1 - i, p.task_id, (), p.workload, p._record_json)
                    for i, p in enumerate(base * args.replicate)]
        base = base[: args.limit or None]
        for p in base:
            _ = p.workload.ms_workload  # workload decode is once per task, not per program: keep it out
        return base

    # Cold means cold: the fits above wrote the train programs' features; measure on an empty cache.
    os.environ["TIRCOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="tircost-bench-cold-")
    progs = fresh()
    n = len(progs)
    print(f"{n} programs, {len({p.task_id for p in progs})} tasks, cores={os.cpu_count()}")
    t0, c0 = time.perf_counter(), time.process_time()
    cands = [p.measure_candidate() for p in progs]
    t1, c1 = time.perf_counter(), time.process_time()
    by_task: dict[int, list[int]] = {}
    for i, p in enumerate(progs):
        by_task.setdefault(id(p.workload), []).append(i)
    for idx in by_task.values():
        F._extract(progs[idx[0]].workload, [cands[i] for i in idx], 2)
    t2, c2 = time.perf_counter(), time.process_time()
    # CPU ms next to wall ms: the machine is shared, CPU time says what a free core would do.
    print(f"stages: trace replay {n / (t1 - t0):7.1f} programs/s ({(t1 - t0) / n * 1e3:.2f} ms wall, "
          f"{(c1 - c0) / n * 1e3:.2f} ms CPU each); PerStoreFeature {n / (t2 - t1):7.1f} programs/s "
          f"({(t2 - t1) / n * 1e3:.2f} ms wall, {(c2 - c1) / n * 1e3:.2f} ms CPU each, 2 threads)")
    rates = {}
    for name, model in models.items():
        os.environ["TIRCOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="tircost-bench-cold-")  # not the other's
        progs = fresh()
        t0 = time.perf_counter()
        pred = model.predict(progs)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.predict(progs)
        warm = time.perf_counter() - t0
        assert pred.shape == (len(progs),) and np.isfinite(pred).all()
        print(f"{name:8s} cold {len(progs) / cold:8.1f} programs/s   warm (memoized features) "
              f"{len(progs) / warm:9.1f} programs/s")
        rates[name] = len(progs) / cold
    sys.stdout.flush()
    return rates


def test_predict_xgb(monkeypatch):
    """600 cpu-epyc2 programs, fits included (~1 min on 2 cores): the stages behind bench_predict's figure."""
    from goals import as_from_a_shell, record

    as_from_a_shell(monkeypatch)
    for name, rate in main(["--limit", "600"]).items():
        record("predict_xgb", f"{name} cold predict, cpu-epyc2 (600)", rate, "programs/s", note="fitted here")


if __name__ == "__main__":
    main()
