"""Task extraction: zoo network -> torch.export -> relax -> fused PrimFuncs (MetaSchedule tasks).

Pipeline (see notes/tvm-0.27.md section 1): ``torch.export`` -> ``from_exported_program(keep_params_as_input=True)``
-> DecomposeOpsForInference, CanonicalizeBindings, ``relax.get_pipeline("zero")`` (legalize + fuse) under the
target -> ``ms.relax_integration.extract_tasks``. Weights stay function inputs: binding them as constants
only costs FoldConstant time, the fused computations are the same.

Tasks are deduplicated across networks by the structural hash of the workload IRModule, the same hash
MetaSchedule's JSONDatabase writes on its workload lines (``Workload(mod).as_json()[0]``), so our
``TaskInfo.workload_hash`` matches a database built from the same modules byte for byte.
"""

from __future__ import annotations

import gc
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tvm

from ..records import NetworkUse, TaskInfo
from .task_info import (  # noqa: F401 - re-exported: the task table's vocabulary
    is_trivial,
    make_task_id,
    op_family,
    op_tokens,
    task_bytes,
    task_flops,
    workload_hash,
)
from .zoo import get_network, parse_network_id

CACHE_VERSION = 1


@dataclass
class ExtractedTask:
    info: TaskInfo
    mod: tvm.IRModule  # the workload: an IRModule with one PrimFunc "main"


def _as_target(target: Any) -> tvm.target.Target:
    return target if isinstance(target, tvm.target.Target) else tvm.target.Target(target)


def extract_network(name: str, batch: int, target: Any) -> list[tuple[str, tvm.IRModule, int]]:
    """All tasks of one network at one batch size: (task_name, workload IRModule, weight), unfiltered."""
    import torch
    import tvm.s_tir.meta_schedule as ms
    from tvm import relax
    from tvm.relax.frontend.torch import from_exported_program

    target = _as_target(target)
    model, inputs = get_network(name).build(batch)
    with torch.no_grad():
        ep = torch.export.export(model, inputs)
    del model
    mod = from_exported_program(ep, keep_params_as_input=True)
    del ep
    with target:
        mod = tvm.transform.Sequential(
            [
                relax.transform.DecomposeOpsForInference(),
                relax.transform.CanonicalizeBindings(),
                relax.get_pipeline("zero"),
            ]
        )(mod)
    tasks = ms.relax_integration.extract_tasks(mod, target)
    return [(t.task_name, t.dispatched[0], int(t.weight)) for t in tasks]


# ---------------------------------------------------------------------------------------------------
# On-disk cache: one JSON file per network id. Workloads use JSONDatabase's own encoding
# (Workload.as_json() = [hash, base64 of the tvm-ffi object graph]); it round-trips to a structurally
# equal module (tests/test_zoo.py checks it).


def _cache_path(cache_dir: Path, nid: str) -> Path:
    return Path(cache_dir) / f"{nid}.json"


def _load_cached(path: Path, target_str: str) -> tuple[list[tuple[str, tvm.IRModule, int]], float] | None:
    import tvm.s_tir.meta_schedule as ms

    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if doc.get("version") != CACHE_VERSION or doc.get("target") != target_str:
        return None
    tasks = [
        (t["name"], ms.database.Workload.from_json(t["workload"]).mod, int(t["weight"])) for t in doc["tasks"]
    ]
    return tasks, float(doc.get("seconds", 0.0))


def _save_cached(path: Path, nid: str, target_str: str, tasks, seconds: float) -> None:
    import tvm.s_tir.meta_schedule as ms

    doc = {
        "version": CACHE_VERSION,
        "network_id": nid,
        "target": target_str,
        "seconds": round(seconds, 3),
        "tasks": [
            {"name": n, "weight": w, "workload": ms.database.Workload(m).as_json()} for n, m, w in tasks
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)  # atomic: an interrupted run never leaves a half-written cache entry


def extract_cached(
    nid: str, target: Any, cache_dir: Path
) -> tuple[list[tuple[str, tvm.IRModule, int]], float, bool]:
    """(tasks, extraction seconds, came from cache) for one network id."""
    target = _as_target(target)
    target_str = str(target)
    path = _cache_path(cache_dir, nid)
    cached = _load_cached(path, target_str)
    if cached is not None:
        return cached[0], cached[1], True
    name, batch = parse_network_id(nid)
    t0 = time.perf_counter()
    tasks = extract_network(name, batch, target)
    seconds = time.perf_counter() - t0
    _save_cached(path, nid, target_str, tasks, seconds)
    gc.collect()
    return tasks, seconds, False


def build_task_table(
    network_ids: list[str],
    target: Any,
    cache_dir: Path,
    progress: bool = True,
    stats: dict[str, dict[str, Any]] | None = None,
) -> list[ExtractedTask]:
    """Extract every network (one at a time, cached), drop trivial tasks, deduplicate by structural hash.

    A task shared by several networks gets one NetworkUse per network id. The table is ordered by first
    appearance. ``stats``, when given, is filled per network id with raw/kept task counts and seconds.
    """
    from tqdm import tqdm

    table: dict[str, ExtractedTask] = {}
    bar = tqdm(network_ids, desc="extract", unit="net", disable=not progress)
    for nid in bar:
        bar.set_postfix_str(nid)
        tasks, seconds, cached = extract_cached(nid, target, cache_dir)
        kept = 0
        for name, mod, weight in tasks:
            whash = workload_hash(mod)
            entry = table.get(whash)
            if entry is None:
                flops = task_flops(mod)
                if is_trivial(name, flops):
                    continue
                info = TaskInfo(
                    task_id=make_task_id(name, whash),
                    name=name,
                    workload_hash=whash,
                    flops=flops,
                    bytes=task_bytes(mod),
                    op_family=op_family(name, mod),
                )
                entry = table[whash] = ExtractedTask(info, mod)
            uses = entry.info.uses
            same = [i for i, u in enumerate(uses) if u.network == nid]
            if same:  # the same workload twice in one network (extract_tasks already merges; be safe)
                uses[same[0]] = NetworkUse(nid, uses[same[0]].weight + weight)
            else:
                uses.append(NetworkUse(nid, weight))
            kept += 1
        if stats is not None:
            stats[nid] = {"tasks": len(tasks), "kept": kept, "seconds": seconds, "cached": cached}
    return list(table.values())
