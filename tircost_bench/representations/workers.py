"""One pool of long-lived worker processes for cold representations: trace replay + PerStoreFeature, and
trace replay + AST graph, sharded over all cores.

Workers are plain `python -c` subprocesses fed by pickles on stdin: multiprocessing's spawn would re-import
the caller's __main__ (a script without a main guard then forks itself recursively), and fork after
torch/TVM have started threads is unsafe. They live as long as this process: each one pays the TVM import
once (seconds), then serves every bulk job (features, graphs; search predicts on ~512 candidates many times).
Each finished program writes one tick to stderr, which advances the caller's progress stage.
"""

from __future__ import annotations

import atexit
import os
import pickle
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tircost_bench.representations.program import Program

_WORKER_CMD = "from tircost_bench.representations.workers import serve; serve()"
_TICK = b"\x1e"  # written to stderr by a worker per finished program (ASCII record separator)
KINDS = ("features", "graph")
WARM_MIN_PARALLEL = 64  # started workers beat this process from about this many programs on


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _tick() -> None:
    sys.stderr.buffer.write(_TICK)
    sys.stderr.flush()


def _run_features(programs: list[Program], keys: list[str]) -> list[Any]:
    from tircost_bench.representations import features as F

    out: list[Any] = [None] * len(programs)
    by_workload: dict[int, list[int]] = {}
    for i, p in enumerate(programs):
        by_workload.setdefault(id(p.workload), []).append(i)
    for idx in by_workload.values():  # one extractor call per task; a tick per replayed program
        cands = []
        for i in idx:
            cands.append(programs[i].measure_candidate())
            _tick()
        for i, f in zip(idx, F._extract(programs[idx[0]].workload, cands, 1)):
            out[i] = f
    return out


def _run_graphs(programs: list[Program], keys: list[str]) -> list[Any]:
    from tircost_bench.representations import graph_store as gs
    from tircost_bench.representations.ast_graph import build_graph

    out = []
    for p, key in zip(programs, keys):
        g = build_graph(p)
        if key:
            gs._write_cached(key, g)
        out.append(g)
        _tick()
    return out


def serve() -> None:
    """Worker entry: a loop of stdin (kind, workloads, jobs) -> stdout [result]; ends when stdin closes."""
    from tircost_bench.representations.program import Workload

    while True:
        try:
            kind, workloads, jobs = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        decoded = {k: Workload(*v) for k, v in workloads.items()}  # decoded lazily, once per task
        programs = [Program(-1, task_id, (), decoded[wkey], record) for wkey, task_id, record, _ in jobs]
        keys = [key for *_, key in jobs]
        run = _run_features if kind == "features" else _run_graphs
        out = run(programs, keys)
        pickle.dump(out, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()


class WorkerPool:
    """`n` long-lived workers; `bar` is the progress stage their ticks advance."""

    def __init__(self, n: int) -> None:
        import subprocess

        self.n = n
        self.bar: Any = None
        self.ticks = 0  # programs finished, over all jobs
        self._lock = threading.Lock()
        self.procs = [subprocess.Popen([sys.executable, "-c", _WORKER_CMD], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       env={**os.environ, "OMP_NUM_THREADS": "1"}) for _ in range(n)]
        for proc in self.procs:
            threading.Thread(target=self._relay_stderr, args=(proc.stderr,), daemon=True).start()

    def _relay_stderr(self, stream: Any) -> None:  # ticks advance the bar, anything else is the worker's stderr
        while chunk := stream.read1(4096):
            with self._lock:
                self.ticks += chunk.count(_TICK)
                if self.bar is not None:
                    self.bar.advance(chunk.count(_TICK))
            if rest := chunk.replace(_TICK, b""):
                sys.stderr.buffer.write(rest)
                sys.stderr.flush()

    def alive(self) -> bool:
        return all(proc.poll() is None for proc in self.procs)

    def run(self, worker: int, payload: bytes) -> list[Any]:
        proc = self.procs[worker]
        try:
            proc.stdin.write(payload)  # the worker reads a whole payload before it writes: no deadlock
            proc.stdin.flush()
            return pickle.load(proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            raise RuntimeError(f"representation worker failed ({type(err).__name__}, exit code {proc.poll()}; "
                               "its stderr is above)") from err

    def close(self) -> None:
        for proc in self.procs:
            if proc.stdin:
                proc.stdin.close()  # EOF: the worker returns
        for proc in self.procs:
            try:
                proc.wait(5)
            except Exception:  # noqa: BLE001 - a stuck worker is killed, not waited on forever
                proc.kill()


_pool: WorkerPool | None = None


def ready(n: int) -> bool:
    """Are the process's workers started, alive and `n` of them?"""
    return _pool is not None and _pool.n == n and _pool.alive()


def pool(n: int) -> WorkerPool:
    """The process's workers, (re)started when missing, dead, or of another size."""
    global _pool
    if not ready(n):
        if _pool is not None:
            _pool.close()
        _pool = WorkerPool(n)
        atexit.register(_pool.close)
    return _pool


def run_in_workers(kind: str, programs: Sequence[Program], keys: Sequence[str], workers: int,
                   bar: Any) -> list[Any]:
    """`kind` ("features" or "graph") of each program, sharded by task over `workers` processes; a key per
    program ("" = do not write the disk cache)."""
    if kind not in KINDS:
        raise ValueError(f"unknown representation kind {kind!r}; use one of {', '.join(KINDS)}")
    order = sorted(range(len(programs)), key=lambda i: str(programs[i].workload._line[0]))  # task locality
    shards = [order[k * len(order) // workers:(k + 1) * len(order) // workers] for k in range(workers)]
    payloads = []
    for shard in shards:
        workloads, jobs = {}, []
        for i in shard:
            p = programs[i]
            wkey = str(p.workload._line[0])
            workloads.setdefault(wkey, (p.workload.task_id, p.workload._line, p.workload.target_json))
            jobs.append((wkey, p.task_id, p._record_json, keys[i]))
        payloads.append(pickle.dumps((kind, workloads, jobs), protocol=pickle.HIGHEST_PROTOCOL))

    workers_ = pool(workers)
    workers_.bar = bar
    expected = workers_.ticks + len(programs)
    out: list[Any] = [None] * len(programs)
    try:
        with ThreadPoolExecutor(workers) as threads:
            for shard, results in zip(shards, threads.map(workers_.run, range(workers), payloads)):
                for i, r in zip(shard, results):
                    out[i] = r
        deadline = time.monotonic() + 2.0  # the last ticks may still be in the stderr pipes: let the bar finish
        while workers_.ticks < expected and time.monotonic() < deadline:
            time.sleep(0.01)
    except RuntimeError:
        workers_.close()  # a half-read pipe is unusable: the next job starts fresh workers
        raise
    finally:
        with workers_._lock:
            workers_.bar = None
    return out
