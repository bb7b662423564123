"""MetaSchedule PerStoreFeature per Program: (n_stores, 164) float32, memoized and cached on disk.

Costs per program on one free core (conv2d tasks, TVM 0.27): replaying the trace ~10 ms, extracting ~7 ms.
So featurizing is the slow part of every feature-based predictor, hence two caches:
- in memory, per Program (`Program.cached`), which also serves search-time programs (uid < 0);
- on disk, under cache_dir()/features/<version>/, keyed by the program's content (workload, trace, target),
  in 256 shards: a second evaluation, a re-packed suite or another suite holding the same program does not
  featurize it again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.paths import cache_dir
from tircost_bench.progress import stage
from tircost_bench.representations.program import Program, Workload

N_FEATURES = 164
MEMO_KEY = "per_store_feature"
_CACHE_VERSION = "psf-v2"  # bump when the extractor settings or the file layout change
PROGRESS_FROM = 200  # programs to featurize before a progress bar is worth showing (~10 s)
MIN_PARALLEL = 256  # replays before the worker pool pays for starting (TVM import ~seconds per worker)

_DISK: dict[str, dict[str, np.ndarray]] = {}  # shard -> content key -> features, as read from / written to disk


def cheap_context(workload: Workload, num_threads: int = 2) -> Any:
    """A TuneContext holding only mod + target: all PerStoreFeature and XGBModel read.

    TuneContext.__init__ imports tvm.s_tir.tensor_intrin (~20 s, gotcha G1) and initializes a space
    generator and search strategy we never use; calling the FFI constructor directly skips both (~2 ms).
    """
    import tvm
    import tvm.s_tir.meta_schedule as ms
    from tvm.s_tir.meta_schedule import _ffi_api
    from tvm.s_tir.meta_schedule.logging import get_logger, get_logging_func

    ctx = ms.TuneContext.__new__(ms.TuneContext)
    ctx.__init_handle_by_constructor__(
        _ffi_api.TuneContext, workload.mod, tvm.target.Target(workload.target_json), None, None,
        workload.task_id, num_threads, -1, get_logging_func(get_logger(__name__)),
    )
    return ctx


def _extract(workload: Workload, candidates: list[Any], num_threads: int) -> list[np.ndarray]:
    import tvm.s_tir.meta_schedule as ms

    extractor = ms.feature_extractor.PerStoreFeature()  # stock settings: what XGBModel uses
    out = extractor.extract_from(cheap_context(workload, num_threads), candidates)
    return [np.asarray(x.numpy(), dtype=np.float32) for x in out]


def workload_features(workload: Workload, num_threads: int = 2) -> np.ndarray:
    """PerStoreFeature of the *unscheduled* workload: a schedule-independent description of the task."""
    import tvm.s_tir.meta_schedule as ms
    from tvm.s_tir import Schedule

    cand = ms.MeasureCandidate(Schedule(workload.mod), [])
    return _extract(workload, [cand], num_threads)[0]


# ----------------------------------------------------------------------------------------- disk cache


def _key(program: Program) -> str:
    return program.content_key(_CACHE_VERSION)


def cache_root() -> Path:
    return cache_dir() / "features" / _CACHE_VERSION


def cache_file(shard: str) -> Path:
    return cache_root() / f"{shard}.npz"


def _read(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    try:
        with np.load(path) as z:
            keys, offsets, data = z["keys"], z["offsets"], z["data"]
    except (OSError, ValueError, KeyError):  # a torn or foreign file: featurize again, rewrite it
        return {}
    return {str(k): data[offsets[i]:offsets[i + 1]] for i, k in enumerate(keys)}


def _write(path: Path, table: dict[str, np.ndarray]) -> None:
    """Rows of all programs stacked + offsets; written to a temp file then renamed (readers never see half)."""
    keys = np.array(sorted(table))
    arrays = [table[str(k)] for k in keys]
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([a.shape[0] for a in arrays])
    data = np.concatenate(arrays) if arrays else np.zeros((0, N_FEATURES), np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, keys=keys, offsets=offsets, data=data)
    os.chmod(tmp, 0o644)  # mkstemp makes it 0600
    os.replace(tmp, path)


def _disk_table(shard: str) -> dict[str, np.ndarray]:
    if shard not in _DISK:
        _DISK[shard] = _read(cache_file(shard))
    return _DISK[shard]


# ----------------------------------------------------------------------------------------- public API


def per_store_features(programs: Sequence[Program], num_threads: int = 2, workers: int | None = None,
                       min_parallel: int = MIN_PARALLEL, dask: Any = None) -> list[np.ndarray]:
    """(n_stores, 164) float32 per program; computed in bulk, one extractor call per task. Programs that
    need a trace replay go to the shared worker pool (`workers` processes, default all cores) when there
    are at least `min_parallel` of them (WARM_MIN_PARALLEL once the pool runs), or all of them to the Dask
    cluster of `dask` (a distributed.Client; see representations.distributed)."""
    from tircost_bench.representations import workers as W

    workers = W.default_workers() if workers is None else workers
    # A mutable box in the Program memo: lets us test "already computed?" through the public cached().
    boxes: list[list[Any]] = [p.cached(MEMO_KEY, lambda _: [None]) for p in programs]
    keys: dict[int, str] = {}  # suite programs only: search-time candidates (uid < 0) stay in memory
    for i, p in enumerate(programs):
        if boxes[i][0] is None and p.uid >= 0:
            keys[i] = key = _key(p)
            boxes[i][0] = _disk_table(key[:2]).get(key)

    todo = [i for i, b in enumerate(boxes) if b[0] is None]
    replay = [i for i in todo if programs[i]._sch is None]  # a search candidate's live schedule stays here
    threshold = min(min_parallel, W.WARM_MIN_PARALLEL) if W.ready(workers) else min_parallel
    pooled = set(replay) if dask is not None or (workers > 1 and len(replay) >= threshold) else set()
    by_workload: dict[int, list[int]] = {}
    for i in todo:  # one extractor call per workload object (= task)
        if i not in pooled:
            by_workload.setdefault(id(programs[i].workload), []).append(i)
    dirty: set[str] = set()

    def done(i: int, f: np.ndarray) -> None:
        boxes[i][0] = f
        if i in keys:
            _disk_table(keys[i][:2])[keys[i]] = f
            dirty.add(keys[i][:2])

    # A bar for bulk featurization of suite programs, not for a search's every batch of candidates.
    with stage("per-store features", total=len(todo), enabled=sum(i in keys for i in todo) >= PROGRESS_FROM) as bar:
        if pooled:
            order = sorted(pooled)
            chosen = [programs[i] for i in order]
            if dask is not None:
                from tircost_bench.representations.distributed import featurize_on_dask

                feats = featurize_on_dask(chosen, dask, bar)
            else:
                feats = W.run_in_workers("features", chosen, [""] * len(order), workers, bar)
            for i, f in zip(order, feats):
                done(i, f)
        for idx in by_workload.values():
            feats = _extract(programs[idx[0]].workload, [programs[i].measure_candidate() for i in idx], num_threads)
            for i, f in zip(idx, feats):
                done(i, f)
            bar.advance(len(idx))
    for shard in dirty:
        table = _disk_table(shard)
        table.update({k: f for k, f in _read(cache_file(shard)).items() if k not in table})  # other writers
        _write(cache_file(shard), table)
    return [b[0] for b in boxes]


PROGRAM_WIDTH = 3 * N_FEATURES + 1


def program_summary(feats: Sequence[np.ndarray]) -> np.ndarray:
    """(n, 3*164 + 1) float32: each program's per-store features summed, averaged and maxed over its stores,
    plus the store count: a fixed-width vector per program (xgboost's input, gcn_topk's optional readout input).

    A program has 1-5 stores. TVM's pack-sum (a per-store tree sum) needs a custom objective, which rules
    out xgboost's built-in ranking loss; a fixed-width summary does not. The max keeps the dominant store
    (the features are log-scaled counts), the mean is size-free, the sum plus the count is the closest
    fixed-width stand-in for TVM's segment sum.
    """
    out = np.zeros((len(feats), PROGRAM_WIDTH), dtype=np.float32)
    for i, f in enumerate(feats):
        if f.shape[0]:
            out[i, :N_FEATURES] = f.sum(0)
            out[i, N_FEATURES:2 * N_FEATURES] = f.mean(0)
            out[i, 2 * N_FEATURES:3 * N_FEATURES] = f.max(0)
        out[i, -1] = f.shape[0]
    return out


def warm_suite(suite: Any, splits: Sequence[str] = ("train", "val", "test"), workers: int | None = None,
               dask: Any = None) -> int:
    """Featurize every program of `suite` into its disk cache (e.g. once after a suite lands), on this
    machine's worker pool or a Dask cluster (`dask`: a distributed.Client); returns the count."""
    programs = [p for s in splits for p in suite.programs_of(s)]
    per_store_features(programs, workers=workers, dask=dask)
    return len(programs)


def clear_memory_cache() -> None:
    """Forget disk tables read by this process (tests; benchmarks of a cold cache)."""
    _DISK.clear()
