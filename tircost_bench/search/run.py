"""End-to-end search with a submission's cost model vs. TVM's stock XGBModel and RandomModel.

Every model tunes the same tasks (those of the suite's held-out networks, or the networks named) with the
same budget, seed, task scheduler, warm builder and LocalRunner (the suite's measure settings), on this
machine with the suite's target. The submission's predictor is trained on the suite's train split (or
loads its shipped checkpoint for the suite's sha256 and the seed), exactly as `evaluate` does, and sees
the tuner's measurements through Predictor.update. Search seconds start after the one-time warm-up (TVM
imports, pool start, training) and include everything a search step costs: evolutionary search with the
model's predictions, online updates, building and running. Models run one after the other in the same
process, in an order that rotates with the seed (config.order "alternate"; "fixed": references first),
after a warm-up that builds and runs one measured program of every task in every build worker (the
compile path's first builds cost 9-10 s on the GPU machine, later ones 1.2-2 s). Several submissions can
share one search (`run_searches`): one stock run per seed serves all of them. Results are written after
every measured batch when `out_dirs` is given, so a lost machine keeps what it measured, and a re-run with
`resume` skips the models that had finished.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tircost_bench.collect.measure import MeasureSettings, make_runner
from tircost_bench.collect.targets import describe_platform
from tircost_bench.predictors.interface import Predictor
from tircost_bench.predictors.pycostmodel import make_cost_model
from tircost_bench.predictors.submission import Submission, load_submission
from tircost_bench.representations.workers import default_workers
from tircost_bench.search.assemble import (
    STOCK,
    ModelRun,
    build_result,
    harness_commit,
    resumable_runs,
    resume_warning,
)
from tircost_bench.search.builder import BuildPool, make_builder, remove_artifact
from tircost_bench.search.curves import Event, make_recorder
from tircost_bench.search.device_lock import (
    device_lock_path,
    search_clock,
    shared_device_runner,
    waited_seconds,
)
from tircost_bench.search.result import SearchResult
from tircost_bench.search.timing import PartTimer, run_end_callback, timed_cost_model, timing
from tircost_bench.suite.loader import Suite, load_suite
from tircost_bench.suite.splits import base_network

REFERENCES = {"xgb": STOCK, "random": "ms-random"}  # --references name -> model name in results


class SearchError(RuntimeError):
    """A search that cannot run as asked (no tasks, unknown network or reference)."""


@dataclass
class SearchTask:
    task_id: str
    mod: Any  # the workload IRModule
    weights: dict[str, float]  # network id -> occurrences of the task in that network
    sample: Any = None  # a scheduled IRModule of one measured program (the warm-up builds and runs it)


@dataclass
class SearchConfig:
    budget: int = 1000  # trials per model, over all tasks
    per_iter: int = 64  # trials per measured batch (MetaSchedule's num_trials_per_iter)
    seed: int = 0
    scheduler: str = "gradient"  # or "round-robin"
    references: tuple[str, ...] = ("xgb", "random")
    population: int | None = None  # EvolutionarySearch population (None: stock 512); small for tests
    workers: int | None = None  # build workers (default: all cores)
    trials_per_task: int | None = None  # if set, the budget is trials_per_task x the number of tasks
    order: str = "alternate"  # run order: rotated by the seed ("alternate") or references first ("fixed")
    warmup: bool = True  # build and run a measured program of every task before any clock starts
    shared_device: bool = False  # concurrent searches share the GPU: measurements take turns (device_lock)
    cores: int | None = None  # CPU cores the search was pinned to (protocol --concurrent); None: all of them

    def budget_for(self, n_tasks: int) -> int:
        return self.trials_per_task * n_tasks if self.trials_per_task else self.budget

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "references": list(self.references)}


def held_out_network_ids(suite: Suite) -> list[str]:
    held = set(suite.manifest.held_out_networks)
    ids = {u.network for t in suite.tasks.values() for u in t.uses if base_network(u.network) in held}
    return sorted(ids)


def suite_search_tasks(suite: Suite, networks: Sequence[str] | None = None) -> tuple[list[SearchTask], list[str]]:
    """The tasks of the named networks (ids or base names; default: the held-out ones) and warnings."""
    all_ids = sorted({u.network for t in suite.tasks.values() for u in t.uses})
    wanted = list(networks) if networks else held_out_network_ids(suite)
    chosen = [n for n in all_ids if n in wanted or base_network(n) in wanted]
    unknown = [w for w in wanted if not any(w in (n, base_network(n)) for n in all_ids)]
    if unknown or not chosen:
        raise SearchError(f"suite {suite.name} has no network {', '.join(unknown or wanted) or '(none held out)'}; "
                          f"its networks: {', '.join(all_ids)}")
    mods, samples = {}, {}
    for p in suite.programs.values():
        mods.setdefault(p.task_id, p.workload)
        samples.setdefault(p.task_id, p)
    tasks, warnings = [], []
    for tid, info in sorted(suite.tasks.items()):
        weights: dict[str, float] = {}
        for u in info.uses:
            if u.network in chosen:
                weights[u.network] = weights.get(u.network, 0) + u.weight
        if not weights:
            continue
        if tid not in mods:
            warnings.append(f"task {tid} has no measured program in the suite (no workload): left out")
            continue
        tasks.append(SearchTask(tid, mods[tid].mod, weights, samples[tid].mod))
    return tasks, warnings


def check_platform(suite: Suite) -> list[str]:
    """Warnings when this host is not the hardware the suite was measured on."""
    target, there = suite.manifest.target, suite.manifest.platform or {}
    here = describe_platform(target)
    out = []
    if target["kind"] == "cuda":
        if not here.get("gpu"):
            out.append("the suite targets CUDA but nvidia-smi finds no GPU here: runs will fail")
        elif there.get("gpu") and there["gpu"] != here["gpu"]:
            out.append(f"suite measured on {there['gpu']}, this host has {here['gpu']}")
        return out
    if there.get("cpu") and (there.get("cpu"), there.get("cores")) != (here["cpu"], here["cores"]):
        out.append(f"suite measured on {there.get('cpu')} ({there.get('cores')} cores), this host is "
                   f"{here['cpu']} ({here['cores']} cores)")
    import tvm

    mcpu, ours = target.get("mcpu"), str(tvm.target.codegen.llvm_get_system_cpu())
    if mcpu and mcpu != ours:
        out.append(f"the suite's target has mcpu={mcpu} but LLVM detects {ours} here")
    return out


def trained_predictor(submission: Submission, suite: Suite, seed: int, retrain: bool = False) -> tuple[Predictor, dict]:
    """The submission's predictor for (suite, seed) through the lifecycle evaluate uses (predictors.lifecycle:
    its registered checkpoint with provenance checked, else a fit on train/val), and what the search result
    records of it: which checkpoint (its provenance, less the task lists), or the fit's seconds."""
    from tircost_bench.predictors.lifecycle import in_process_predictor
    from tircost_bench.predictors.provenance import CheckpointError

    try:
        predictor, prepared = in_process_predictor(submission, suite, seed, retrain)
    except CheckpointError as err:
        raise SearchError(str(err)) from None
    info: dict[str, Any] = {"checkpoint_used": bool(prepared.checkpoint),
                            "fit_seconds": prepared.fit_seconds if prepared.trained else None}
    if prepared.checkpoint:
        info["checkpoint"] = {k: v for k, v in prepared.checkpoint.items() if k != "task_ids"}
    return predictor, info


def num_cores(target: dict[str, Any]) -> int:
    return int(target.get("num-cores") or default_workers())


def reference_cost_model(kind: str, cores: int) -> Any:
    """As ms.tune_tasks makes them from the strings "xgb" / "random" (stock settings, online-trained)."""
    from tvm.s_tir.meta_schedule.cost_model import CostModel

    if kind == "xgb":
        return CostModel.create("xgb", num_tuning_cores=cores, tree_method="auto")
    return CostModel.create(kind)


def tune_model(cost_model: Any, tasks: list[SearchTask], target: dict[str, Any], builder: Any, runner: Any,
               config: SearchConfig, run: ModelRun, on_batch: Any = None, timer: PartTimer | None = None) -> ModelRun:
    """One MetaSchedule search (fresh contexts and database) with `cost_model`; `run.events` grows per batch."""
    import tvm
    import tvm.s_tir.meta_schedule as ms

    tgt = tvm.target.Target(target)
    cores = num_cores(target)

    def strategy() -> Any:
        if config.population is None:
            return "evolutionary"
        return ms.search_strategy.EvolutionarySearch(population_size=config.population,
                                                     init_min_unmeasured=min(50, config.population))

    contexts = [ms.TuneContext(mod=t.mod, target=tgt, space_generator="post-order-apply",
                               search_strategy=strategy(), task_name=t.task_id, rand_state=config.seed,
                               num_threads=cores) for t in tasks]
    scheduler = (ms.task_scheduler.GradientBased(seed=config.seed) if config.scheduler == "gradient"
                 else ms.task_scheduler.TaskScheduler.create(config.scheduler))
    recorder = make_recorder([t.task_id for t in tasks], on_batch, run.events)
    recorder.start()
    start = search_clock()
    ms.tune_tasks(tasks=contexts, task_weights=[float(sum(t.weights.values())) for t in tasks],
                  work_dir=os.devnull, max_trials_global=config.budget_for(len(tasks)),
                  num_trials_per_iter=config.per_iter,
                  builder=builder, runner=runner, database=ms.database.MemoryDatabase(), cost_model=cost_model,
                  measure_callbacks=[*([run_end_callback(timer)] if timer is not None else []),
                                     *ms.measure_callback.MeasureCallback.create("default"), recorder],
                  task_scheduler=scheduler)
    run.seconds, run.trials, run.complete = search_clock() - start, recorder.trials, True
    return run


def _fmt(lat: float | None) -> str:
    return "—" if lat is None or not math.isfinite(lat) else f"{lat * 1e3:.3f} ms"


def warm_compile_path(tasks: list[SearchTask], target: dict[str, Any], builder: Any, runner: Any,
                      workers: int) -> int:
    """Build (in every worker) and run one measured program of each task, before any model's clock starts:
    every model then meets a warm compiler and runner. Returns how many warm-up builds succeeded."""
    import tvm
    import tvm.s_tir.meta_schedule as ms

    tgt = tvm.target.Target(target)
    mods = [t.sample if t.sample is not None else t.mod for t in tasks]
    mods = (mods * (workers // len(mods) + 1))[: max(workers, len(mods))]
    built = builder.build([ms.builder.BuilderInput(m, tgt) for m in mods])
    ok = [(m, b) for m, b in zip(mods, built) if b.error_msg is None]
    runs = runner.run([ms.runner.RunnerInput(b.artifact_path, tgt.kind.name,
                                             ms.arg_info.ArgInfo.from_prim_func(m["main"])) for m, b in ok[: len(tasks)]])
    for fut in runs:
        fut.result()
    for b in built:
        remove_artifact(b.artifact_path)
    return len(ok)


def run_order(models: list[str], config: SearchConfig) -> list[str]:
    """References first for order "fixed"; else the list rotated by the seed, so over seeds every model
    runs first, and no model always meets the machine in the same state."""
    if config.order == "fixed" or not models:
        return list(models)
    k = config.seed % len(models)
    return models[k:] + models[:k]


def run_search(submission: Submission | str | Path, suite: Suite | str | None = None,
               config: SearchConfig | None = None, networks: Sequence[str] | None = None,
               tasks: list[SearchTask] | None = None, retrain: bool = False, progress: bool = True,
               out_dir: Path | None = None, resume: bool = False, commit: str | None = None) -> SearchResult:
    """Search with one submission and the references (see run_searches)."""
    outs = None if out_dir is None else [out_dir]
    return run_searches([submission], suite, config, networks, tasks, retrain, progress, outs, resume, commit)[0]


def run_searches(submissions: Sequence[Submission | str | Path], suite: Suite | str | None = None,
                 config: SearchConfig | None = None, networks: Sequence[str] | None = None,
                 tasks: list[SearchTask] | None = None, retrain: bool = False, progress: bool = True,
                 out_dirs: Sequence[Path] | None = None, resume: bool = False,
                 commit: str | None = None) -> list[SearchResult]:
    """One search over the submissions and the references (each reference runs once); a SearchResult per
    submission, each holding the references' runs. With `out_dirs` (one per submission), every result is
    written to DIR/search_results.json after each measured batch; `resume` reuses the finished models."""
    from rich.console import Console

    config = config or SearchConfig()
    subs = [s if isinstance(s, Submission) else load_submission(s) for s in submissions]
    st = suite if isinstance(suite, Suite) else load_suite(suite)
    bad = [r for r in config.references if r not in REFERENCES]
    if bad:
        raise SearchError(f"unknown reference(s) {', '.join(bad)}: use {', '.join(REFERENCES)}")
    if config.scheduler not in ("gradient", "round-robin"):
        raise SearchError(f"unknown task scheduler {config.scheduler!r}: use gradient or round-robin")
    if config.order not in ("alternate", "fixed"):
        raise SearchError(f"unknown run order {config.order!r}: use alternate or fixed")
    if out_dirs is not None and len(out_dirs) != len(subs):
        raise SearchError(f"{len(subs)} submissions but {len(out_dirs)} output folders")
    console = Console(stderr=True, quiet=not progress)
    warnings = check_platform(st)
    if tasks is None:
        tasks, more = suite_search_tasks(st, networks)
        warnings += more
    if not tasks:
        raise SearchError("no tasks to tune")
    budget = config.budget_for(len(tasks))
    if budget < len(tasks) * config.per_iter:
        warnings.append(f"budget {budget} < tasks x per-iter = {len(tasks) * config.per_iter}: some tasks "
                        "may never be measured, and a network's curve stays empty until all of its tasks are")
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    target = dict(st.manifest.target)
    platform, sha = describe_platform(target), harness_commit(commit)
    paths = [Path(d) / "search_results.json" for d in out_dirs] if out_dirs is not None else []
    runs: dict[str, ModelRun] = {}
    if resume:
        for sub, path in zip(subs, paths):
            kept = resumable_runs(path, sub, st, config, platform)
            runs.update({k: v for k, v in kept.items() if k not in runs})
            if note := resume_warning(path, kept, sha):
                warnings.append(note)
        for name in runs:
            console.print(f"resuming: {name} finished in an earlier run, kept")
    infos: dict[str, dict] = {}
    factories: dict[str, Any] = {REFERENCES[r]: (lambda r=r: reference_cost_model(r, num_cores(target)))
                                 for r in config.references}
    for sub in subs:
        if sub.name in runs:
            infos[sub.name] = {"checkpoint_used": None, "fit_seconds": None, "resumed": True}
            continue
        with console.status(f"{sub.name}: loading or training the predictor"):
            predictor, infos[sub.name] = trained_predictor(sub, st, config.seed, retrain)
        factories[sub.name] = lambda p=predictor: p
    order = run_order([*[REFERENCES[r] for r in config.references], *(s.name for s in subs)], config)

    def results() -> list[SearchResult]:
        out = []
        for sub in subs:
            mine = {k: v for k, v in runs.items() if k in REFERENCES.values() or k == sub.name}
            expected = [m for m in order if m in REFERENCES.values() or m == sub.name]
            out.append(build_result(sub, st, config, tasks, mine, infos[sub.name], warnings, platform, sha, expected))
        return out

    def checkpoint() -> None:
        for res, path in zip(results(), paths):
            res.write(path)

    search_models(order, factories, runs, tasks, target, config, st, console, checkpoint, infos)
    final = results()
    checkpoint()
    return final


def search_models(order: list[str], factories: dict[str, Any], runs: dict[str, ModelRun], tasks: list[SearchTask],
                  target: dict[str, Any], config: SearchConfig, st: Suite, console: Any, checkpoint: Any,
                  infos: dict[str, dict]) -> None:
    """Warm up, then search with each model in `order` not already in `runs` (resumed), writing as it goes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    budget = config.budget_for(len(tasks))
    total_w = {t.task_id: float(sum(t.weights.values())) for t in tasks}
    pool = BuildPool(config.workers or default_workers())
    current: list[PartTimer | None] = [None]
    warm_start = time.perf_counter()
    try:
        with console.status("warming up: TVM imports in the build workers and here, the compile path"):
            for fut in [pool.submit(time.sleep, 0.2) for _ in range(pool.workers)]:
                pool.result(fut, 600)
            import tvm.s_tir.tensor_intrin  # noqa: F401 - the one-time ~20 s import, outside the clock
            runner = make_runner(MeasureSettings(**st.manifest.measure))
            if config.shared_device:
                runner = shared_device_runner(runner, device_lock_path())
            builder = make_builder(pool, timers=lambda: current[0])
            warmed = warm_compile_path(tasks, target, builder, runner, pool.workers) if config.warmup else 0
        for info in infos.values():
            info.update(warmup_seconds=time.perf_counter() - warm_start, warmup_builds=warmed)
        cols = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.fields[best]}"))
        with Progress(*cols, console=console, disable=not console.is_terminal or console.quiet) as bar:
            for position, name in enumerate(order):
                if name in runs:
                    continue
                job = bar.add_task(name, total=budget, best="")
                best: dict[str, float] = {}
                timer = current[0] = PartTimer()
                run = runs[name] = ModelRun(order=position)

                def on_batch(ev: Event, trials: int, job: int = job, best: dict = best, name: str = name,
                             run: ModelRun = run) -> None:
                    run.trials, run.seconds = trials, ev.seconds  # so far: a partial result says how far it got
                    if math.isfinite(ev.best):
                        best[ev.task] = ev.best
                    known = f"{len(best)}/{len(tasks)} tasks measured"
                    net = (sum(w * best[t] for t, w in total_w.items()) if len(best) == len(tasks) else None)
                    status = f"best weighted latency {_fmt(net)}" if net is not None else known
                    bar.update(job, completed=min(trials, budget), best=status)
                    if not console.is_terminal:  # a live bar renders nothing into a log file: write lines
                        console.print(f"{name}: {min(trials, budget)}/{budget} trials, {status}")
                    checkpoint()

                model = factories[name]()
                cost_model = (make_cost_model(model, timer) if isinstance(model, Predictor)
                              else timed_cost_model(model, timer))
                waited = waited_seconds()
                with timing(timer):
                    tune_model(cost_model, tasks, target, builder, runner, config, run, on_batch, timer)
                run.timing = {**timer.finish(run.seconds), "device_wait": waited_seconds() - waited}  # off the clock
                current[0] = None
                bar.update(job, completed=budget)
                checkpoint()
    finally:
        pool.shutdown()
