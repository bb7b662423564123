"""Where AST graphs are kept: a content-keyed disk cache, and bulk builds over worker processes."""

from __future__ import annotations

import atexit
import os
import pickle
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from tircost_bench.paths import cache_dir
from tircost_bench.representations.ast_graph import GRAPH_VERSION, ProgramGraph, build_graph
from tircost_bench.representations.program import Program

# --- disk cache ---------------------------------------------------------------------------------------

def graph_key(program: Program) -> str:
    """Content key: workload structural hash + trace + target (+ GRAPH_VERSION)."""
    return program.content_key(f"v{GRAPH_VERSION}")


def graph_cache_dir() -> Path:
    return cache_dir() / f"ast_graph-v{GRAPH_VERSION}"


def _cache_path(key: str) -> Path:
    return graph_cache_dir() / key[:2] / f"{key}.pkl"


def _read_cached(key: str) -> ProgramGraph | None:
    try:
        with open(_cache_path(key), "rb") as f:
            g = pickle.load(f)
        return g if isinstance(g, ProgramGraph) else None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return None


def _write_cached(key: str, g: ProgramGraph) -> None:
    path = _cache_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # atomic: workers may race on a key
    with os.fdopen(fd, "wb") as f:
        pickle.dump(g, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


CACHE_KEY = "ast_graph"


def program_graph(program: Program, use_disk: bool = True) -> ProgramGraph:
    """Memoized on the Program and (optionally) on disk."""
    def compute(p: Program) -> ProgramGraph:
        if not use_disk:
            return build_graph(p)
        key = graph_key(p)
        g = _read_cached(key)
        if g is None:
            g = build_graph(p)
            _write_cached(key, g)
        return g

    return program.cached(CACHE_KEY, compute)


# --- bulk builds over worker processes --------------------------------------------------------------
# Workers are plain `python -c` subprocesses fed by pickles on stdin: multiprocessing's spawn would
# re-import the caller's __main__ (a script without a main guard then forks itself recursively), and fork
# after torch/TVM have started threads is unsafe. They live as long as this process: each one pays the
# TVM import once (seconds), then serves every bulk build (search predicts on ~512 candidates many times).

_WORKER_CMD = "from tircost_bench.representations.graph_store import _serve; _serve()"
_TICK = b"\x1e"  # written to stderr by a worker per finished graph (ASCII record separator)


def _serve() -> None:
    """Worker entry: a loop of stdin (workloads, jobs) -> stdout [ProgramGraph], writing the disk cache as it
    goes; ends when the parent closes stdin."""
    from tircost_bench.representations.program import Workload

    while True:
        try:
            workloads, jobs = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        decoded = {k: Workload(*v) for k, v in workloads.items()}  # decoded lazily, once per task
        out = []
        for wkey, task_id, trace, key, use_disk in jobs:
            g = build_graph(Program(-1, task_id, (), decoded[wkey], [trace, None]))
            if use_disk:
                _write_cached(key, g)
            out.append(g)
            sys.stderr.buffer.write(_TICK)  # one per graph: the parent's progress bar
            sys.stderr.flush()
        pickle.dump(out, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()


class _GraphWorkers:
    """`n` long-lived workers; `bar` is the progress bar their ticks advance."""

    def __init__(self, n: int) -> None:
        import subprocess

        self.n = n
        self.bar: tqdm | None = None
        self.ticks = 0  # graphs finished, over all builds
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
                    self.bar.update(chunk.count(_TICK))
            if rest := chunk.replace(_TICK, b""):
                sys.stderr.buffer.write(rest)
                sys.stderr.flush()

    def alive(self) -> bool:
        return all(proc.poll() is None for proc in self.procs)

    def run(self, worker: int, payload: bytes) -> list[ProgramGraph]:
        proc = self.procs[worker]
        try:
            proc.stdin.write(payload)  # the worker reads a whole payload before it writes: no deadlock
            proc.stdin.flush()
            return pickle.load(proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            raise RuntimeError(f"AST graph worker failed ({type(err).__name__}, exit code {proc.poll()}; its "
                               "stderr is above)") from err

    def close(self) -> None:
        for proc in self.procs:
            if proc.stdin:
                proc.stdin.close()  # EOF: the worker returns
        for proc in self.procs:
            try:
                proc.wait(5)
            except Exception:  # noqa: BLE001 - a stuck worker is killed, not waited on forever
                proc.kill()


_workers: _GraphWorkers | None = None
WARM_MIN_PARALLEL = 64  # started workers beat this process from about this many graphs on


def _workers_ready(n: int) -> bool:
    """Are the process's workers started, alive and `n` of them?"""
    return _workers is not None and _workers.n == n and _workers.alive()


def _graph_workers(n: int) -> _GraphWorkers:
    """The process's workers, (re)started when missing, dead, or of another size."""
    global _workers
    if not _workers_ready(n):
        if _workers is not None:
            _workers.close()
        _workers = _GraphWorkers(n)
        atexit.register(_workers.close)
    return _workers


def _build_in_workers(programs: list[Program], keys: list[str], use_disk: bool, workers: int,
                      bar: tqdm) -> list[ProgramGraph]:
    from concurrent.futures import ThreadPoolExecutor

    order = sorted(range(len(programs)), key=lambda i: str(programs[i].workload._line[0]))  # task locality
    shards = [order[k * len(order) // workers:(k + 1) * len(order) // workers] for k in range(workers)]
    payloads = []
    for shard in shards:
        workloads, jobs = {}, []
        for i in shard:
            p = programs[i]
            wkey = str(p.workload._line[0])
            workloads.setdefault(wkey, (p.workload.task_id, p.workload._line, p.workload.target_json))
            jobs.append((wkey, p.task_id, p.trace_json, keys[i], use_disk and bool(keys[i])))
        payloads.append(pickle.dumps((workloads, jobs), protocol=pickle.HIGHEST_PROTOCOL))

    pool = _graph_workers(workers)
    pool.bar = bar
    expected = pool.ticks + len(programs)
    out: list[ProgramGraph | None] = [None] * len(programs)
    try:
        with ThreadPoolExecutor(workers) as threads:
            for shard, graphs in zip(shards, threads.map(pool.run, range(workers), payloads)):
                for i, g in zip(shard, graphs):
                    out[i] = g
        deadline = time.monotonic() + 2.0  # the last ticks may still be in the stderr pipes: let the bar finish
        while pool.ticks < expected and time.monotonic() < deadline:
            time.sleep(0.01)
    except RuntimeError:
        pool.close()  # a half-read pipe is unusable: the next build starts fresh workers
        raise
    finally:
        with pool._lock:
            pool.bar = None
    return out  # type: ignore[return-value]


def build_graphs(programs: Sequence[Program], workers: int = 2, use_disk: bool = True,
                 min_parallel: int = 512) -> list[ProgramGraph]:
    """Graphs of many programs: memo, then disk cache, then replay (in `workers` processes if at least
    `min_parallel`, or once they are started, at least WARM_MIN_PARALLEL)."""
    out: list[ProgramGraph | None] = [None] * len(programs)
    todo: list[int] = []
    keys: dict[int, str] = {}
    for i, p in enumerate(programs):
        g = p._cache.get(CACHE_KEY)
        if g is None and use_disk and p.uid >= 0:  # search-time candidates (uid < 0) stay in memory
            keys[i] = graph_key(p)
            g = _read_cached(keys[i])
        if g is None:
            todo.append(i)
        else:
            out[i] = p._cache[CACHE_KEY] = g
    # A program already scheduled here (a search candidate) costs only the walk (~2 ms): it stays here;
    # the rest need a trace replay (~8 ms), which is what the workers are for.
    replay = [i for i in todo if programs[i]._mod is None]
    # Bulk builds (minutes for thousands of programs) show a bar, in worker processes or in this one.
    with tqdm(total=len(todo), desc="AST graphs", unit="prog", dynamic_ncols=True,
              disable=len(replay) < min_parallel) as bar:
        threshold = min(min_parallel, WARM_MIN_PARALLEL) if _workers_ready(workers) else min_parallel
        pooled = replay if workers > 1 and len(replay) >= threshold else []
        built: dict[int, ProgramGraph] = {}
        if pooled:
            graphs = _build_in_workers([programs[i] for i in pooled], [keys.get(i, "") for i in pooled], use_disk,
                                       workers, bar)
            built = dict(zip(pooled, graphs))
        for i in todo:
            if i not in built:
                built[i] = build_graph(programs[i])
                if i in keys:
                    _write_cached(keys[i], built[i])
                bar.update()
    for i, g in built.items():
        out[i] = programs[i]._cache[CACHE_KEY] = g
    return out  # type: ignore[return-value]
