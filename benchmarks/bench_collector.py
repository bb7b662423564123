"""Collector throughput against MetaSchedule's stock path, on the same tasks, in one run.

    python benchmarks/bench_collector.py --suite cpu-epyc2 --tasks 2 --programs 8 [--target cuda:sm_90]

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
import tempfile
import time
from pathlib import Path


def collector_rate(tasks: list, target: dict, measure: object, programs: int, workers: int) -> tuple[int, float]:
    from tircost_bench.collect.collector import CollectConfig, Collector

    config = CollectConfig(target=target, programs_per_task=programs, workers=workers, measure=measure)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        collector = Collector(Path(work), config)
        try:
            summary = collector.run(tasks)
        finally:
            collector.close()
    return summary.measured + summary.failed, time.perf_counter() - start


def stock_rate(tasks: list, target: dict, measure: object, programs: int, workers: int) -> tuple[int, float]:
    import tvm
    import tvm.s_tir.meta_schedule as ms
    from tvm.s_tir.meta_schedule.runner import LocalRunner, RunnerInput

    from tircost_bench.collect.targets import device_type

    start = time.perf_counter()
    builder = ms.builder.LocalBuilder(max_workers=workers)
    runner = LocalRunner(timeout_sec=measure.timeout_sec, evaluator_config=measure.evaluator_config())
    tvm_target = tvm.target.Target(target)
    done = 0
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
        done += len(results)
    return done, time.perf_counter() - start


def main() -> None:
    from tircost_bench.collect.measure import MeasureSettings
    from tircost_bench.collect.targets import target_from_preset
    from tircost_bench.suite.loader import load_suite

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default=None)
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--programs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--target", default=None, help="preset (cpu, cuda:sm_90); default: the suite's target")
    args = ap.parse_args()

    from tircost_bench.collect.tasks import ExtractedTask

    suite = load_suite(args.suite)
    target = target_from_preset(args.target) if args.target else suite.manifest.target
    measure = MeasureSettings(**suite.manifest.measure)
    # The suite's busiest tasks (most programs), so both sides build real convolutions/matmuls.
    ids = sorted(suite.tasks, key=lambda t: -suite.tasks[t].flops)[: args.tasks]
    by_task = {p.task_id: p.workload for p in suite.programs.values()}
    tasks = [ExtractedTask(suite.tasks[t], by_task[t].mod) for t in ids]
    rows = []
    for name, fn in (("collector (warm pool)", collector_rate), ("stock LocalBuilder + LocalRunner", stock_rate)):
        n, secs = fn(tasks, target, measure, args.programs, args.workers)
        rows.append((name, n, secs))
    print(f"\n{len(tasks)} tasks x {args.programs} programs, {args.workers} workers, target {target['kind']}")
    print(f"{'path':36} {'programs':>9} {'seconds':>9} {'programs/s':>11}")
    for name, n, secs in rows:
        print(f"{name:36} {n:>9} {secs:>9.1f} {n / secs:>11.2f}")


if __name__ == "__main__":
    main()
