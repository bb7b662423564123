"""Where AST graphs are kept: a content-keyed disk cache, and bulk builds over worker processes."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tircost_bench.paths import cache_dir
from tircost_bench.progress import stage
from tircost_bench.representations import workers as W
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


# --- bulk builds -------------------------------------------------------------------------------------

def build_graphs(programs: Sequence[Program], workers: int = 2, use_disk: bool = True,
                 min_parallel: int = 512) -> list[ProgramGraph]:
    """Graphs of many programs: memo, then disk cache, then replay (in the shared pool of `workers`
    processes if at least `min_parallel`, or once they are started, at least WARM_MIN_PARALLEL)."""
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
    with stage("AST graphs", total=len(todo), enabled=len(replay) >= min_parallel) as bar:
        threshold = min(min_parallel, W.WARM_MIN_PARALLEL) if W.ready(workers) else min_parallel
        pooled = replay if workers > 1 and len(replay) >= threshold else []
        built: dict[int, ProgramGraph] = {}
        if pooled:
            graphs = W.run_in_workers("graph", [programs[i] for i in pooled],
                                      [keys.get(i, "") if use_disk else "" for i in pooled], workers, bar)
            built = dict(zip(pooled, graphs))
        for i in todo:
            if i not in built:
                built[i] = build_graph(programs[i])
                if i in keys:
                    _write_cached(keys[i], built[i])
                bar.advance()
    for i, g in built.items():
        out[i] = programs[i]._cache[CACHE_KEY] = g
    return out  # type: ignore[return-value]
