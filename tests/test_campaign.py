"""Task selection for a campaign: held-out share capped, and a campaign that only grows when asked for more."""

from __future__ import annotations

from tircost_bench.collect.campaign import grow_tasks, select_tasks
from tircost_bench.collect.tasks import ExtractedTask
from tircost_bench.records import NetworkUse, TaskInfo


def _task(i: int, network: str) -> ExtractedTask:
    info = TaskInfo(task_id=f"t{i}-{i:08x}", name=f"t{i}", workload_hash=f"{i:016x}",
                    uses=[NetworkUse(network=network, weight=1)])
    return ExtractedTask(info, None)


def test_select_caps_held_out_share():
    tasks = [_task(i, "resnet_50-b1" if i % 2 else "vgg_16-b1") for i in range(100)]
    chosen = select_tasks(tasks, 20, ["resnet_50"], test_fraction=0.4)
    held = [t for t in chosen if t.info.uses[0].network == "resnet_50-b1"]
    assert len(chosen) == 20 and len(held) == 8
    assert select_tasks(tasks, 20, ["resnet_50"]) == chosen  # a fixed pick, not a random one


def test_grow_keeps_collected_tasks_first():
    pool = [_task(i, "vgg_16-b1") for i in range(50)]
    collected = select_tasks(pool, 10, [])
    # a later selection may drop some collected tasks (e.g. a changed filter): they stay anyway
    selected = select_tasks(pool[5:], 30, [])
    grown = grow_tasks(collected, selected, 30)
    ids = [t.info.task_id for t in grown]
    assert ids[:10] == [t.info.task_id for t in collected] and len(ids) == 30 and len(set(ids)) == 30
    assert grow_tasks(collected, selected, 5) == collected  # never shrinks
    assert len(grow_tasks(collected, selected, None)) == len({t.info.workload_hash for t in collected + selected})
