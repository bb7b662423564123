"""Loader benchmarks (`tox -e bench`): suite load time and memory, against TVM's stock JSONDatabase, and a
loader scaling test on replicated rows.

Every figure is measured in a fresh Python process (time to a loaded Suite, peak RSS, and the whole process
with its exit), printed next to the issue's goal. The scaling test is a LOADER TEST, NOT A SUITE: it
replicates the rows of the shipped cpu-epyc2 store to 100k, 300k and 1M rows to time opening a store that
size (Program objects, train labels, test labels).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from goals import record

ROOT = Path(__file__).resolve().parents[1]
GOAL_LOAD_S, GOAL_LOAD_MIB, GOAL_1M_GIB = 2.0, 400, 8.0

_PROBE = """
import json, resource, sys, time
t0 = time.perf_counter()
{body}
_ru = resource.getrusage(resource.RUSAGE_SELF)
# this process's own peak (VmHWM, reset by exec): ru_maxrss survives fork+exec, so it would report the
# larger pytest parent's RSS instead
_hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"seconds": time.perf_counter() - t0, "cpu_s": _ru.ru_utime + _ru.ru_stime,
                  "rss_mib": _hwm / 1024, **extra}}))
"""


def _probe(body: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run `body` in a fresh interpreter; its figures plus the wall time of the whole process (exit included)."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PROBE.format(body=body)], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=False, cwd=ROOT)
    if out.returncode:
        raise AssertionError(out.stderr[-3000:])
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process_s": time.perf_counter() - t0}


_LOAD = """
from tircost_bench.suite.loader import load_suite
from tircost_bench.suite.labels import read_test_labels
s = load_suite({suite!r})
extra = {{"programs": len(s.programs), "train": len(s.labeled("train")), "test": len(read_test_labels(s))}}
"""

_STOCK = """
import tvm.s_tir.meta_schedule as ms
from tircost_bench.suite.loader import load_suite
s = load_suite({suite!r})
w, r, _ = s.store.export_jsondatabase({out!r})
t0 = time.perf_counter()
db = ms.database.JSONDatabase(path_workload=str(w), path_tuning_record=str(r), allow_missing=False)
extra = {{"records": len(db.get_all_tuning_records()), "stock_s": time.perf_counter() - t0}}
"""


@pytest.mark.parametrize("suite", ["cpu-epyc2", "h100"])
def test_suite_load(suite, tmp_path):
    build = _probe(_LOAD.format(suite=suite))  # builds the store if this cache has none (once per suite version)
    warm = _probe(_LOAD.format(suite=suite))
    print(f"\n[loader] {suite}: {warm['programs']} programs; first load (store build if absent) "
          f"{build['seconds']:.2f} s\n"
          f"  load, store present: {warm['seconds']:.2f} s wall, {warm['cpu_s']:.2f} s CPU (goal <= {GOAL_LOAD_S} s "
          f"for h100), peak RSS {warm['rss_mib']:.0f} MiB (goal <= {GOAL_LOAD_MIB} MiB), process with exit "
          f"{warm['process_s']:.2f} s")
    assert warm["train"] + warm["test"] <= warm["programs"] and warm["test"] > 0
    if suite == "h100":
        record("loader", "h100 first load (builds store if absent)", build["seconds"], "s")
        record("loader", "h100 suite load (store present), wall", warm["seconds"], "s", at_most=GOAL_LOAD_S,
               note=f"{warm['cpu_s']:.2f} s CPU")
        record("loader", "h100 suite load, peak RSS", warm["rss_mib"], "MiB", at_most=GOAL_LOAD_MIB)
    if suite == "cpu-epyc2":  # TVM's stock path decodes every workload: minutes on cpu-epyc2, too long on h100
        stock = _probe(_STOCK.format(suite=suite, out=str(tmp_path / "db")))
        print(f"  TVM stock JSONDatabase load of the same records: {stock['stock_s']:.2f} s "
              f"({stock['records']} records) -> the store loads {stock['stock_s'] / warm['seconds']:.1f}x faster")
        assert stock["records"] >= warm["programs"]
        record("loader", f"{suite}: TVM stock JSONDatabase / store load", stock["stock_s"] / warm["seconds"], "x",
               note=f"stock {stock['stock_s']:.2f} s, store {warm['seconds']:.2f} s, same run")


_REPLICATE = """
import pyarrow as pa, pyarrow.ipc as ipc, json, shutil
from pathlib import Path
from tircost_bench.suite.loader import load_suite
from tircost_bench.suite import store as S
src = load_suite("cpu-epyc2").store
out = Path({out!r}); out.mkdir(parents=True, exist_ok=True)
n = {rows}
for name, table in ((S.PROGRAMS, src.programs), (S.LABELS, src.labels())):
    with ipc.new_file(out / name, table.schema) as w:
        done = 0
        while done < n:
            for batch in table.to_batches(S.BATCH_ROWS):
                batch = batch.slice(0, min(batch.num_rows, n - done))
                w.write_batch(batch); done += batch.num_rows
                if done >= n: break
shutil.copy(src.folder / S.WORKLOADS, out / S.WORKLOADS)
meta = S.StoreMeta(S.STORE_SCHEMA, "replicated", n, src.meta.workloads, [],
                   {{f: S.sha256_file(out / f) for f in (S.PROGRAMS, S.LABELS, S.WORKLOADS)}})
import dataclasses; (out / S.META).write_text(json.dumps(dataclasses.asdict(meta)))
extra = {{}}
"""

_OPEN_REPLICATED = """
import numpy as np
from tircost_bench.suite.catalog import suite_path
from tircost_bench.suite.loader import programs_from_store
from tircost_bench.suite.manifest import Manifest
from tircost_bench.suite.store import SuiteStore
from tircost_bench.records import TaskInfo
path = suite_path("cpu-epyc2")
tasks = {{t["task_id"]: TaskInfo.from_json(t) for t in json.loads((path / "tasks.json").read_text())}}
store = SuiteStore({out!r})
programs, _ = programs_from_store(store, tasks, Manifest.read(path).target)
uids = np.fromiter(programs, np.int64)
lat = store.column("latency", "labels")[uids]
first = programs[int(uids[0])].trace_json  # a record is parsed only when asked for
extra = {{"programs": len(programs), "finite": int(np.isfinite(lat).sum())}}
"""


def test_loader_scaling(tmp_path):
    """LOADER TEST, NOT A SUITE: the cpu-epyc2 store's rows replicated to 100k, 300k and 1M."""
    print("\n[loader scaling] replicated cpu-epyc2 rows (a loader test, not a suite); open = verify the store's "
          "sha256, map it, make a Program per row, read the labels")
    print(f"  {'rows':>9} {'write s':>8} {'open s':>7} {'peak RSS MiB':>13} {'store GiB':>9}   goal")
    for rows in (100_000, 300_000, 1_000_000):
        out = tmp_path / f"r{rows}"
        written = _probe(_REPLICATE.format(out=str(out), rows=rows))
        opened = _probe(_OPEN_REPLICATED.format(out=str(out)))
        size = sum(f.stat().st_size for f in out.iterdir()) / 2**30
        goal = f"<= {GOAL_1M_GIB:.0f} GiB" if rows == 1_000_000 else ""
        print(f"  {rows:>9} {written['seconds']:8.1f} {opened['seconds']:7.2f} {opened['rss_mib']:13.0f} "
              f"{size:9.2f}   {goal}")
        assert opened["programs"] > 0.9 * rows and opened["finite"] == opened["programs"]
        if rows == 1_000_000:
            record("loader", "LOADER TEST 1M replicated rows: peak RSS", opened["rss_mib"] / 1024, "GiB",
                   at_most=GOAL_1M_GIB, note=f"open {opened['seconds']:.2f} s; not a suite")
        for f in out.iterdir():
            f.unlink()
