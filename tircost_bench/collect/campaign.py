"""A whole collection campaign: extract tasks from networks, collect every task, pack the suite."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

from tircost_bench.collect.collector import CollectConfig, Collector, CollectSummary
from tircost_bench.collect.targets import describe_platform
from tircost_bench.suite.pack import COLLECT_FILE, TASKS_FILE


def prepare(work_dir: Path, network_ids: Sequence[str], target: dict[str, Any], measure: dict[str, Any]) -> list:
    """Extract (cached) and record the task table and collection settings in the work folder."""
    import tvm

    from tircost_bench.collect.tasks import build_task_table

    work_dir.mkdir(parents=True, exist_ok=True)
    tasks = build_task_table(list(network_ids), target, work_dir / "extract-cache")
    (work_dir / TASKS_FILE).write_text(json.dumps([t.info.to_json() for t in tasks], indent=0))
    collect_file = work_dir / COLLECT_FILE
    settings = {
        "target": target,
        "platform": describe_platform(target),
        "tvm_version": tvm.__version__,
        "measure": measure,
    }
    if collect_file.exists():
        old = json.loads(collect_file.read_text())
        if old["target"] != target or old["measure"] != measure:
            raise SystemExit(
                f"{work_dir} was collected with target {old['target']} and settings {old['measure']}; "
                "a suite never mixes settings: use another --work-dir"
            )
    collect_file.write_text(json.dumps(settings, indent=1))
    # A hash order interleaves networks, so a campaign stopped early still covers many of them.
    return sorted(tasks, key=lambda t: hashlib.sha256(t.info.task_id.encode()).hexdigest())


def collect_tasks(work_dir: Path, tasks: list, config: CollectConfig, limit_tasks: int | None = None) -> CollectSummary:
    collector = Collector(work_dir, config)
    try:
        return collector.run(tasks[:limit_tasks] if limit_tasks else tasks)
    finally:
        collector.close()
