"""Collector throughput against MetaSchedule's stock path, on the same tasks, in one run.

    python benchmarks/bench_collector.py --suite cpu-epyc2 --tasks 2 --programs 8 [--target cuda:sm_90]
    python benchmarks/bench_collector.py --work-dir WORK --tasks 2 --programs 24 --workers 15   # GPU machine

Both sides measure the same number of fresh random programs of the same tasks with the same runner
settings (the suite's manifest):
- collector: tircost-bench's Collector (warm spawn pool that samples and builds, then LocalRunner);
- stock: ReplayTrace candidates built by ms.builder.LocalBuilder (a new pool per build() call, which
  re-imports TVM's tensor intrinsics) and measured by ms.runner.LocalRunner, batch by batch.
Start-up (pool warm-up, the first design space) is included for both: it is what a campaign pays per run.
Prints a table of programs/s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def collector_rate(tasks: list, target: dict, measure: object, programs: int, workers: int) -> tuple[int, int, float]:
    from tircost_bench.collect.collector import CollectConfig, Collector

    # Build-ahead while measuring only where the device is not the CPU that builds (it would skew timings).
    config = CollectConfig(target=target, programs_per_task=programs, workers=workers, measure=measure,
                           overlap=target["kind"] != "llvm")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        collector = Collector(Path(work), config)
        try:
            summary = collector.run(tasks)
        finally:
            collector.close()
    return summary.measured, summary.measured + summary.failed, time.perf_counter() - start


# The stock builder's default 30 s timeout covers its workers' ~20 s tensor-intrinsic import; on 2 cores that
# leaves too little for a convolution and every build times out, so the stock side gets more time.
STOCK_BUILD_TIMEOUT_SEC = 300.0


def stock_rate(tasks: list, target: dict, measure: object, programs: int, workers: int) -> tuple[int, int, float]:
    import tvm
    import tvm.s_tir.meta_schedule as ms
    from tvm.s_tir.meta_schedule.runner import LocalRunner, RunnerInput

    from tircost_bench.collect.targets import device_type

    start = time.perf_counter()
    builder = ms.builder.LocalBuilder(max_workers=workers, timeout_sec=STOCK_BUILD_TIMEOUT_SEC)
    runner = LocalRunner(timeout_sec=measure.timeout_sec, evaluator_config=measure.evaluator_config())
    tvm_target = tvm.target.Target(target)
    ok = attempted = 0
    for task in tasks:
        ctx = ms.TuneContext(mod=task.mod, target=tvm_target, space_generator="post-order-apply",
                             search_strategy="replay-trace", task_name=task.info.task_id, num_threads=workers)
        ctx.pre_tuning(max_trials=programs, num_trials_per_iter=programs,
                       design_spaces=ctx.generate_design_space())
        candidates = ctx.generate_measure_candidates() or []
        built = builder.build([ms.builder.BuilderInput(c.sch.mod, tvm_target) for c in candidates])
        inputs = [RunnerInput(b.artifact_path, device_type(target), c.args_info)
                  for b, c in zip(built, candidates) if b.error_msg is None]
        results = [f.result() for f in runner.run(inputs)]
        ctx.notify_runner_results(candidates, [ms.runner.RunnerResult([1.0], None)] * len(candidates))
        ctx.post_tuning()
        ok += sum(r.error_msg is None for r in results)
        attempted += len(candidates)
        for b in built:
            if b.error_msg:
                print(f"  stock build failed: {b.error_msg.splitlines()[0][:160]}", flush=True)
    return ok, attempted, time.perf_counter() - start


def _suite_tasks(name: str | None, count: int) -> tuple[list, dict, dict]:
    """The suite's `count` tasks with the most FLOPs, so both sides build real convolutions/matmuls."""
    from tircost_bench.collect.tasks import ExtractedTask
    from tircost_bench.suite.loader import load_suite

    suite = load_suite(name)
    ids = sorted(suite.tasks, key=lambda t: -suite.tasks[t].flops)[:count]
    by_task = {p.task_id: p.workload for p in suite.programs.values()}
    tasks = [ExtractedTask(suite.tasks[t], by_task[t].mod) for t in ids]
    return tasks, suite.manifest.target, suite.manifest.measure


def _work_dir_tasks(work: Path, count: int) -> tuple[list, dict, dict]:
    """Tasks of a prepared collection folder (e.g. on the GPU machine, where no suite exists yet)."""
    import json

    from tircost_bench.collect.campaign import load_prepared
    from tircost_bench.collect.pack import COLLECT_FILE

    settings = json.loads((work / COLLECT_FILE).read_text())
    tasks = sorted(load_prepared(work), key=lambda t: -t.info.flops)[:count]
    return tasks, settings["target"], settings["measure"]


def main(argv: list[str] | None = None) -> None:
    from tircost_bench.collect.measure import MeasureSettings
    from tircost_bench.collect.targets import target_from_preset

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default=None)
    ap.add_argument("--work-dir", type=Path, default=None, help="take tasks and settings from a prepared collection")
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--programs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--target", default=None, help="preset (cpu, cuda:sm_90); default: the suite's target")
    args = ap.parse_args(argv)

    if args.work_dir:
        tasks, target, measure_json = _work_dir_tasks(args.work_dir, args.tasks)
    else:
        tasks, target, measure_json = _suite_tasks(args.suite, args.tasks)
    target = target_from_preset(args.target) if args.target else target
    measure = MeasureSettings(**measure_json)
    rows = []
    for name, fn in (("collector (warm pool)", collector_rate), ("stock LocalBuilder + LocalRunner", stock_rate)):
        ok, attempted, secs = fn(tasks, target, measure, args.programs, args.workers)
        rows.append((name, ok, attempted, secs))
        print(f"{name}: {ok} of {attempted} programs measured in {secs:.1f} s", flush=True)
    print(f"\n{len(tasks)} tasks x {args.programs} programs, {args.workers} workers, target {target['kind']}")
    print(f"{'path':36} {'measured':>9} {'attempted':>9} {'seconds':>9} {'measured/s':>11}")
    for name, ok, attempted, secs in rows:
        print(f"{name:36} {ok:>9} {attempted:>9} {secs:>9.1f} {ok / secs:>11.2f}")


def _has_cuda() -> bool:
    import tvm

    return bool(tvm.cuda(0).exist)


def test_collector():
    """On a GPU machine only: the default suite's target is CUDA (h100), and building and measuring real
    convolutions through both paths is slow on 2 CPU cores. By hand on a CPU:
    `python benchmarks/bench_collector.py --suite cpu-epyc2 --tasks 1 --programs 4`."""
    import pytest

    if not _has_cuda():
        pytest.skip("needs a CUDA device (the h100 suite's target); run bench_collector.py by hand on the GPU "
                    "machine, or with --suite cpu-epyc2 on a CPU (slow on 2 cores)")
    main(["--tasks", "2", "--programs", "8", "--workers", str(os.cpu_count() or 2)])


if __name__ == "__main__":
    main()
