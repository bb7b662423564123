"""Featurizing beyond one machine: PerStoreFeature of many programs on a Dask cluster.

Programs travel as what a worker needs to rebuild them (the workload line once per chunk, then each blanked
tuning record): no latency, no suite object. Chunks hold programs of one task, so a worker decodes each
workload once per chunk. Results come back to the caller, which files them in its feature cache exactly like
the local worker pool's (`features.per_store_features(..., dask=...)`).

`address` is a scheduler address (tcp://host:8786) or "local:N" (a LocalCluster of N single-threaded worker
processes on this machine: how it is tested here).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from tircost_bench.representations.program import Program

CHUNK = 64  # programs per Dask task: ~1 s of work, large enough to hide the scheduler's per-task overhead


def _featurize_chunk(workload: tuple[str, list[Any], dict[str, Any]], records: list[list[Any]]) -> list[np.ndarray]:
    """Runs on a Dask worker: replay each trace and extract PerStoreFeature (one extractor call)."""
    from tircost_bench.representations import features as F
    from tircost_bench.representations.program import Workload

    w = Workload(*workload)
    cands = [Program(-1, w.task_id, (), w, rec).measure_candidate() for rec in records]
    return F._extract(w, cands, 1)


def _import_tvm() -> bool:
    import tvm.s_tir.meta_schedule  # noqa: F401 - seconds per process: paid once per worker, not per task

    return True


@contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A distributed Client for `address` whose workers have imported TVM; "local:N" starts (and afterwards
    stops) a local cluster of N single-threaded worker processes."""
    from dask.distributed import Client, LocalCluster

    if address.startswith("local:"):
        n = int(address.split(":", 1)[1])
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          env={"OMP_NUM_THREADS": "1"}) as cluster, Client(cluster) as client:
            client.run(_import_tvm)
            yield client
    else:
        with Client(address) as client:
            client.run(_import_tvm)
            yield client


def featurize_on_dask(programs: Sequence[Program], client: Any, bar: Any = None) -> list[np.ndarray]:
    """PerStoreFeature of each program, computed on the cluster behind `client`, in the programs' order."""
    from dask.distributed import as_completed

    by_workload: dict[int, list[int]] = {}
    for i, p in enumerate(programs):
        by_workload.setdefault(id(p.workload), []).append(i)
    futures, where = [], {}
    for idx in by_workload.values():
        w = programs[idx[0]].workload
        spec = (w.task_id, w._line, w.target_json)
        for k in range(0, len(idx), CHUNK):
            part = idx[k:k + CHUNK]
            fut = client.submit(_featurize_chunk, spec, [programs[i]._record_json for i in part], pure=False)
            futures.append(fut)
            where[fut.key] = part
    out: list[np.ndarray | None] = [None] * len(programs)
    for fut in as_completed(futures):
        part = where[fut.key]
        for i, f in zip(part, fut.result()):
            out[i] = f
        if bar is not None:
            bar.advance(len(part))
    return out  # type: ignore[return-value]
