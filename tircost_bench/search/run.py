"""End-to-end search with a submission's cost model vs. TVM's stock XGBModel and RandomModel.

Every model tunes the same tasks (those of the suite's held-out networks, or the networks named) with the
same budget, seed, task scheduler, warm builder and LocalRunner (the suite's measure settings), on this
machine with the suite's target. The submission's predictor is trained on the suite's train split (or
loads its shipped checkpoint for the suite's sha256 and the seed), exactly as `evaluate` does, and sees
the tuner's measurements through Predictor.update. Search seconds start after the one-time warm-up (TVM
imports, pool start, training) and include everything a search step costs: evolutionary search with the
model's predictions, online updates, building and running. Models run one after the other, references
first, in the same process.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.collect.measure import MeasureSettings, make_runner
from tircost_bench.collect.targets import describe_platform
from tircost_bench.evaluation.results import git_commit
from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.predictors.interface import Predictor
from tircost_bench.predictors.pycostmodel import make_cost_model
from tircost_bench.predictors.submission import Submission, load_submission
from tircost_bench.search.builder import BuildPool, make_builder
from tircost_bench.search.curves import Curve, Event, curve_metrics, make_recorder, network_curve
from tircost_bench.suite.loader import Suite, load_suite
from tircost_bench.suite.splits import base_network

REFERENCES = {"xgb": "ms-xgb", "random": "ms-random"}  # --references name -> model name in results
STOCK = REFERENCES["xgb"]


class SearchError(RuntimeError):
    """A search that cannot run as asked (no tasks, unknown network or reference)."""


@dataclass
class SearchTask:
    task_id: str
    mod: Any  # the workload IRModule
    weights: dict[str, float]  # network id -> occurrences of the task in that network


@dataclass
class SearchConfig:
    budget: int = 1000  # trials per model, over all tasks
    per_iter: int = 64  # trials per measured batch (MetaSchedule's num_trials_per_iter)
    seed: int = 0
    scheduler: str = "gradient"  # or "round-robin"
    references: tuple[str, ...] = ("xgb", "random")
    population: int | None = None  # EvolutionarySearch population (None: stock 512); small for tests
    workers: int | None = None  # build workers (default: all cores)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "references": list(self.references)}


@dataclass
class ModelRun:
    events: list[Event] = field(default_factory=list)
    seconds: float = 0.0
    trials: int = 0


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
    mods = {}
    for p in suite.programs.values():
        mods.setdefault(p.task_id, p.workload)
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
        tasks.append(SearchTask(tid, mods[tid].mod, weights))
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
    """The submission's predictor for (suite, seed): its shipped checkpoint, else fit on train/val (as evaluate)."""
    predictor = submission.create(seed)
    info: dict[str, Any] = {"checkpoint_used": False, "fit_seconds": None}
    if predictor.trainable:
        ckpt = submission.checkpoint_for(suite.sha256, seed)
        if ckpt is not None and not retrain:
            if not ckpt.is_dir():
                raise SearchError(f"{submission.name}: checkpoint folder {ckpt} named in submission.json does not exist")
            predictor.load(ckpt)
            info["checkpoint_used"] = True
        else:
            start = time.perf_counter()
            predictor.fit(suite.labeled("train"), suite.labeled("val"))
            info["fit_seconds"] = time.perf_counter() - start
    return predictor, info


def num_cores(target: dict[str, Any]) -> int:
    return int(target.get("num-cores") or os.cpu_count() or 1)


def reference_cost_model(kind: str, cores: int) -> Any:
    """As ms.tune_tasks makes them from the strings "xgb" / "random" (stock settings, online-trained)."""
    from tvm.s_tir.meta_schedule.cost_model import CostModel

    if kind == "xgb":
        return CostModel.create("xgb", num_tuning_cores=cores, tree_method="auto")
    return CostModel.create(kind)


def tune_model(cost_model: Any, tasks: list[SearchTask], target: dict[str, Any], builder: Any, runner: Any,
               config: SearchConfig, on_batch: Any = None) -> ModelRun:
    """One MetaSchedule search (fresh contexts and database) with `cost_model`, timestamped per batch."""
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
    recorder = make_recorder([t.task_id for t in tasks], on_batch)
    recorder.start()
    start = time.perf_counter()
    ms.tune_tasks(tasks=contexts, task_weights=[float(sum(t.weights.values())) for t in tasks],
                  work_dir=os.devnull, max_trials_global=config.budget, num_trials_per_iter=config.per_iter,
                  builder=builder, runner=runner, database=ms.database.MemoryDatabase(), cost_model=cost_model,
                  measure_callbacks=[*ms.measure_callback.MeasureCallback.create("default"), recorder],
                  task_scheduler=scheduler)
    return ModelRun(list(recorder.events), time.perf_counter() - start, recorder.trials)


def _fmt(lat: float | None) -> str:
    return "—" if lat is None or not math.isfinite(lat) else f"{lat * 1e3:.3f} ms"


def run_search(submission: Submission | str | Path, suite: Suite | str | None = None,
               config: SearchConfig | None = None, networks: Sequence[str] | None = None,
               tasks: list[SearchTask] | None = None, retrain: bool = False, progress: bool = True) -> dict:
    """Search with the submission and the references; returns the results dict (see results_json)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    config = config or SearchConfig()
    sub = submission if isinstance(submission, Submission) else load_submission(submission)
    st = suite if isinstance(suite, Suite) else load_suite(suite)
    bad = [r for r in config.references if r not in REFERENCES]
    if bad:
        raise SearchError(f"unknown reference(s) {', '.join(bad)}: use {', '.join(REFERENCES)}")
    if config.scheduler not in ("gradient", "round-robin"):
        raise SearchError(f"unknown task scheduler {config.scheduler!r}: use gradient or round-robin")
    console = Console(stderr=True, quiet=not progress)
    warnings = check_platform(st)
    if tasks is None:
        tasks, more = suite_search_tasks(st, networks)
        warnings += more
    if not tasks:
        raise SearchError("no tasks to tune")
    if config.budget < len(tasks) * config.per_iter:
        warnings.append(f"budget {config.budget} < tasks x per-iter = {len(tasks) * config.per_iter}: some tasks "
                        "may never be measured, and a network's curve stays empty until all of its tasks are")
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    target = dict(st.manifest.target)
    with console.status(f"{sub.name}: loading or training the predictor"):
        predictor, predictor_info = trained_predictor(sub, st, config.seed, retrain)
    models: list[tuple[str, Any]] = [(REFERENCES[r], lambda r=r: reference_cost_model(r, num_cores(target)))
                                     for r in config.references if r == "xgb"]
    models.append((sub.name, lambda: make_cost_model(predictor)))
    models += [(REFERENCES[r], lambda r=r: reference_cost_model(r, num_cores(target)))
               for r in config.references if r != "xgb"]
    total_w = {t.task_id: float(sum(t.weights.values())) for t in tasks}

    pool = BuildPool(config.workers or os.cpu_count() or 1)
    runs: dict[str, ModelRun] = {}
    warm_start = time.perf_counter()
    try:
        with console.status("warming up: TVM imports in the build workers and here"):
            for fut in [pool.submit(time.sleep, 0.2) for _ in range(pool.workers)]:
                pool.result(fut, 600)
            import tvm.s_tir.tensor_intrin  # noqa: F401 - the one-time ~20 s import, outside the clock
            runner = make_runner(MeasureSettings(**st.manifest.measure))
            builder = make_builder(pool)
        predictor_info["warmup_seconds"] = time.perf_counter() - warm_start
        cols = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.fields[best]}"))
        with Progress(*cols, console=console, disable=not progress) as bar:
            for name, factory in models:
                job = bar.add_task(name, total=config.budget, best="")
                best: dict[str, float] = {}

                def on_batch(ev: Event, trials: int, job: int = job, best: dict = best, name: str = name) -> None:
                    if math.isfinite(ev.best):
                        best[ev.task] = ev.best
                    known = f"{len(best)}/{len(tasks)} tasks measured"
                    net = (sum(w * best[t] for t, w in total_w.items()) if len(best) == len(tasks) else None)
                    status = f"best weighted latency {_fmt(net)}" if net is not None else known
                    bar.update(job, completed=min(trials, config.budget), best=status)
                    if not console.is_terminal:  # a live bar renders nothing into a log file: write lines
                        console.print(f"{name}: {min(trials, config.budget)}/{config.budget} trials, {status}")

                runs[name] = tune_model(factory(), tasks, target, builder, runner, config, on_batch)
                bar.update(job, completed=config.budget)
    finally:
        pool.shutdown()
    return results_json(sub, st, config, tasks, runs, predictor_info, warnings)


def results_json(sub: Submission, st: Suite, config: SearchConfig, tasks: list[SearchTask],
                 runs: dict[str, ModelRun], predictor_info: dict, warnings: list[str]) -> dict:
    """Curves and metrics per network, totals per model: everything the plots, MLflow and publish read."""
    import tvm

    reference = STOCK if STOCK in runs else None
    network_ids = sorted({n for t in tasks for n in t.weights})
    networks = {}
    for nid in network_ids:
        weights = {t.task_id: t.weights[nid] for t in tasks if nid in t.weights}
        curves = {name: network_curve(run.events, weights) for name, run in runs.items()}
        networks[nid] = {"tasks": weights, "curves": {k: c.to_json() for k, c in curves.items()},
                         "metrics": curve_metrics(curves, reference)}
    models = {}
    for name, run in runs.items():
        best: dict[str, float] = {}
        for ev in run.events:
            best[ev.task] = ev.best
        models[name] = {
            "kind": "submission" if name == sub.name else "reference",
            "search_seconds": run.seconds, "trials": run.trials,
            "seconds_per_trial": run.seconds / run.trials if run.trials else None,
            "task_best_latency": {t: (v if math.isfinite(v) else None) for t, v in sorted(best.items())},
        }
    return {
        "schema": 1,
        "suite": {"name": st.name, "version": st.manifest.version, "sha256": st.sha256},
        "submission": {"name": sub.name, "version": sub.meta.version, "folder": str(sub.folder), **predictor_info},
        "config": config.to_json(),
        "reference_model": reference,
        "target": dict(st.manifest.target),
        "platform": describe_platform(dict(st.manifest.target)),
        "tvm_version": tvm.__version__,
        "harness_commit": git_commit(PROJECT_ROOT),  # "" outside a git checkout (e.g. a copy on the GPU machine)
        "python": sys.version.split()[0],
        "warnings": warnings,
        "models": models,
        "networks": networks,
    }


def curves_of(results: dict, network: str) -> dict[str, Curve]:
    return {k: Curve.from_json(v) for k, v in results["networks"][network]["curves"].items()}
