"""Pack a collection work folder into a suite: merged JSONDatabase + sidecar, xz-compressed, splits, manifest."""

from __future__ import annotations

import datetime as dt
import json
import lzma
import shutil
import statistics
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tircost_bench.collect.task_store import RECORDS, WORKLOADS, TaskStore
from tircost_bench.records import TaskInfo
from tircost_bench.suite.files import SUITE_FILES, split_file
from tircost_bench.suite.manifest import Manifest, SplitCounts, sha256_file
from tircost_bench.suite.splits import SPLITS, base_network, make_splits

TASKS_FILE = "tasks.json"  # in the work folder: the extracted task table, written when collection starts
COLLECT_FILE = "collect.json"  # in the work folder: target, platform and measure settings of the collection
FULL_TASK_PROGRAMS = 100  # TenSet's bar (and the h100 issue's): a task "has its programs" at 100 measured ones


def task_size_counts(ok_per_task: Counter[str]) -> dict[str, int]:
    """How many measured programs the suite's tasks hold: some design spaces run dry below the bar."""
    sizes = sorted(ok_per_task.values())
    return {"programs_per_task_min": sizes[0], "programs_per_task_median": statistics.median_low(sizes),
            "programs_per_task_max": sizes[-1],
            f"tasks_with_{FULL_TASK_PROGRAMS}_programs": sum(n >= FULL_TASK_PROGRAMS for n in sizes)}


def _xz_lines(path: Path, lines: list[str]) -> None:
    # A fixed preset and no timestamps: the same data always packs to the same bytes (same sha256).
    with lzma.open(path, "wt", preset=9 | lzma.PRESET_EXTREME) as f:
        f.writelines(lines)


def pack_suite(work_dir: Path, out_dir: Path, suite: str, version: str, held_out: list[str],
               min_programs: int = 2, notes: str = "") -> Manifest:
    """Merge every task with at least `min_programs` successful measurements into `out_dir`."""
    work_dir, out_dir = Path(work_dir), Path(out_dir)
    tasks = [TaskInfo.from_json(d) for d in json.loads((work_dir / TASKS_FILE).read_text())]
    collect = json.loads((work_dir / COLLECT_FILE).read_text())
    kept: list[TaskInfo] = []
    workloads, records, measurements, sampling = [], [], [], {}
    status = Counter()
    ok_per_task: Counter[str] = Counter()
    for task in tasks:
        tdir = work_dir / task.task_id
        if not (tdir / RECORDS).exists():
            continue
        store = TaskStore(work_dir, task.task_id)
        ms = store.measurements()
        n_ok = sum(m.ok for m in ms)
        if n_ok < min_programs:
            continue
        ok_per_task[task.task_id] = n_ok
        rec_lines = (tdir / RECORDS).read_text().splitlines()[: len(ms)]
        w_index = len(workloads)
        workloads.append((tdir / WORKLOADS).read_text().splitlines()[0] + "\n")
        for m, line in zip(ms, rec_lines):
            rec = json.loads(line)
            rec[0] = w_index
            m.record = len(records)
            records.append(json.dumps(rec, separators=(",", ":")) + "\n")
            measurements.append(json.dumps(m.to_json(), separators=(",", ":")) + "\n")
            status[m.status] += 1
        s = store.sampling_stats()
        sampling[task.task_id] = asdict(s)
        kept.append(task)
    if not kept:
        raise ValueError(f"{work_dir} holds no task with {min_programs}+ measured programs: nothing to pack")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    split_file(out_dir, SPLITS[0]).parent.mkdir(parents=True)
    _xz_lines(out_dir / SUITE_FILES["workloads"], workloads)
    _xz_lines(out_dir / SUITE_FILES["records"], records)
    _xz_lines(out_dir / SUITE_FILES["measurements"], measurements)
    (out_dir / SUITE_FILES["tasks"]).write_text(json.dumps([t.to_json() for t in kept], indent=0) + "\n")
    (out_dir / SUITE_FILES["sampling"]).write_text(json.dumps(sampling, indent=0, sort_keys=True) + "\n")

    splits = make_splits(kept, held_out)
    for name in SPLITS:
        split_file(out_dir, name).write_text("".join(f"{t}\n" for t in splits[name]))
    networks: dict[str, dict[str, Any]] = {}
    for t in kept:
        for use in t.uses:
            entry = networks.setdefault(use.network, {"tasks": 0, "held_out": base_network(use.network) in held_out})
            entry["tasks"] += 1
    files = {p.relative_to(out_dir).as_posix(): sha256_file(p) for p in sorted(out_dir.rglob("*")) if p.is_file()}
    manifest = Manifest(
        suite=suite,
        version=version,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        platform=collect["platform"],
        target=collect["target"],
        tvm_version=collect["tvm_version"],
        measure=collect["measure"],
        networks=dict(sorted(networks.items())),
        held_out_networks=sorted(held_out),
        counts={"tasks": len(kept), "records": status["ok"], "failed": sum(status.values()) - status["ok"],
                **{f"failed_{k}": v for k, v in sorted(status.items()) if k != "ok"},
                **task_size_counts(ok_per_task)},
        splits={n: SplitCounts(len(splits[n]), sum(ok_per_task[t] for t in splits[n])) for n in SPLITS},
        files=files,
        notes=notes,
    )
    manifest.save(out_dir)
    return manifest
