"""A whole collection campaign: extract and select tasks, record the settings, collect every task.

`prepare` may run on another machine than `collect_tasks` (tasks are extracted on a CPU host, measured on
the GPU host): the work folder holds the task table and every workload, and the platform is recorded by
the machine that measures.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tircost_bench.collect.collector import CollectConfig, Collector, CollectSummary, PresampleSummary
from tircost_bench.collect.pack import COLLECT_FILE, TASKS_FILE
from tircost_bench.collect.targets import describe_platform
from tircost_bench.collect.task_store import WORKLOADS, TaskStore
from tircost_bench.records import TaskInfo


class CampaignError(RuntimeError):
    """A work folder that cannot be continued as asked (settings or hardware differ)."""


def select_tasks(tasks: list, max_tasks: int | None, held_out: Sequence[str], test_fraction: float = 0.4) -> list:
    """Up to `max_tasks` tasks in hash order (a fixed pseudo-random pick that mixes networks), of which at
    most `test_fraction` come from held-out networks, so both training and testing get enough tasks."""
    from tircost_bench.suite.splits import base_network

    def is_test(t: Any) -> bool:
        return any(base_network(u.network) in held_out for u in t.info.uses)

    ordered = sorted(tasks, key=lambda t: hashlib.sha256(t.info.task_id.encode()).hexdigest())
    if max_tasks is None:
        return ordered
    test = [t for t in ordered if is_test(t)][: round(max_tasks * test_fraction)]
    others = [t for t in ordered if not is_test(t)][: max(0, max_tasks - len(test))]
    chosen = {t.info.task_id for t in test + others}
    return [t for t in ordered if t.info.task_id in chosen]  # hash order mixes test and train tasks


def grow_tasks(collected: list, selected: list, max_tasks: int | None) -> list:
    """A campaign only grows: every task already in the work folder stays, in its order, and new tasks from
    the selection (by workload hash) are appended up to `max_tasks` in all."""
    known = {t.info.workload_hash for t in collected}
    fresh = [t for t in selected if t.info.workload_hash not in known]
    room = len(fresh) if max_tasks is None else max(0, max_tasks - len(collected))
    return list(collected) + fresh[:room]


def prepare(work_dir: Path, network_ids: Sequence[str], target: dict[str, Any], measure: dict[str, Any],
            max_tasks: int | None = None) -> list:
    """Extract (cached), select, and write the task table, workloads and settings into the work folder."""
    import tvm

    from tircost_bench.collect.tasks import build_task_table
    from tircost_bench.collect.zoo import HELD_OUT_NETWORKS

    work_dir.mkdir(parents=True, exist_ok=True)
    collect_file = work_dir / COLLECT_FILE
    if collect_file.exists():
        old = json.loads(collect_file.read_text())
        if old["target"] != target or old["measure"] != measure:
            raise CampaignError(
                f"{work_dir} was collected with target {old['target']} and settings {old['measure']}; "
                "a suite never mixes settings: use another --work-dir"
            )
    tasks = build_task_table(list(network_ids), target, work_dir / "extract-cache")
    tasks = select_tasks(tasks, max_tasks, HELD_OUT_NETWORKS)
    if (work_dir / TASKS_FILE).exists():
        tasks = grow_tasks(load_prepared(work_dir), tasks, max_tasks)
    for t in tasks:
        TaskStore(work_dir, t.info.task_id, t.mod)  # writes the workload line once
    (work_dir / TASKS_FILE).write_text(json.dumps([t.info.to_json() for t in tasks], indent=0))
    old_platform = json.loads(collect_file.read_text()).get("platform") if collect_file.exists() else None
    settings = {"target": target, "tvm_version": tvm.__version__, "measure": measure, "platform": old_platform}
    collect_file.write_text(json.dumps(settings, indent=1))
    return tasks


def load_prepared(work_dir: Path) -> list:
    """The tasks of a prepared work folder, with their workloads, without re-extracting."""
    import tvm.s_tir.meta_schedule as ms

    from tircost_bench.collect.tasks import ExtractedTask

    if not (work_dir / TASKS_FILE).exists():
        raise CampaignError(f"{work_dir} is not prepared: run `tircost-bench collect` with --networks first")
    tasks = []
    for d in json.loads((work_dir / TASKS_FILE).read_text()):
        info = TaskInfo.from_json(d)
        line = json.loads((work_dir / info.task_id / WORKLOADS).read_text().splitlines()[0])
        tasks.append(ExtractedTask(info, ms.database.Workload.from_json(line).mod))
    return tasks


def record_platform(work_dir: Path, target: dict[str, Any], measure: dict[str, Any]) -> dict[str, Any]:
    """Record the measuring machine; refuse to continue a suite on other hardware (never mix cards) or
    with other settings."""
    collect_file = work_dir / COLLECT_FILE
    settings = json.loads(collect_file.read_text())
    if settings["target"] != target or settings["measure"] != measure:
        raise CampaignError(
            f"{work_dir} is collected with target {settings['target']} and settings {settings['measure']}, "
            f"not {target} / {measure}: pass the same options, or use another --work-dir"
        )
    here = describe_platform(target)
    old = settings.get("platform")
    key = "gpu" if target["kind"] == "cuda" else "cpu"
    if old and (old.get(key), old.get("cores") if key == "cpu" else None) != (
        here.get(key), here.get("cores") if key == "cpu" else None
    ):
        raise CampaignError(
            f"{work_dir} was measured on {old.get(key)} but this machine has {here.get(key)}: "
            "a suite never mixes hardware; collect into another --work-dir"
        )
    settings["platform"] = here
    collect_file.write_text(json.dumps(settings, indent=1))
    return here


def collect_tasks(work_dir: Path, tasks: list, config: CollectConfig, limit_tasks: int | None = None) -> CollectSummary:
    record_platform(work_dir, config.target, config.measure.to_json())
    collector = Collector(work_dir, config)
    try:
        return collector.run(tasks[:limit_tasks] if limit_tasks else tasks)
    finally:
        collector.close()


def presample_tasks(work_dir: Path, tasks: list, programs_per_task: int, workers: int,
                    time_limit_sec: float | None = None) -> PresampleSummary:
    """Draw the programs a prepared campaign still needs, here, for its own target (see Collector.presample)."""
    import tvm

    settings = json.loads((Path(work_dir) / COLLECT_FILE).read_text())
    if settings["tvm_version"] != tvm.__version__:
        raise CampaignError(f"{work_dir} is collected with TVM {settings['tvm_version']}, this is {tvm.__version__}: "
                            "another TVM may replay a trace into another program; presample with the same TVM")
    config = CollectConfig(target=settings["target"], programs_per_task=programs_per_task, workers=workers,
                           time_limit_sec=time_limit_sec)
    collector = Collector(Path(work_dir), config)
    try:
        return collector.presample(tasks)
    finally:
        collector.close()
