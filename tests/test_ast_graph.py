"""AST graphs of real scheduled TIR programs (mini suite, real TVM): structure, tokens, disk cache.

`mini_suite` (tests/conftest.py) is cut from the shipped suite: train programs are conv2d programs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tircost_bench.representations import ast_graph as ag
from tircost_bench.representations import graph_store as gs
from tircost_bench.representations import workers as W
from tircost_bench.representations.program import Program


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIRCOST_CACHE_DIR", str(tmp_path))
    return tmp_path


def fresh(p: Program) -> Program:
    """A copy with no replayed module or memo, as a predictor would receive it."""
    return Program(p.uid, p.task_id, p.networks, p.workload, p._record_json)


def test_graph_of_real_program(mini_suite) -> None:  # type: ignore[no-untyped-def]
    p = fresh(mini_suite.programs_of("train")[0])
    g = ag.build_graph(p)
    n = g.num_nodes
    assert 20 < n < 5000
    assert g.features.shape == (n, ag.N_FEATURES) and g.features.dtype == np.float32
    assert np.isfinite(g.features).all()
    assert g.token_idx.dtype == np.int32 and g.token_idx.max() < len(g.vocab)
    assert g.edge_index.shape == (2, g.edge_type.size)
    assert g.edge_index.min() >= 0 and g.edge_index.max() < n
    ast = g.edge_index[:, g.edge_type == ag.EDGE_AST]
    # a tree in pre-order: every node but the root has exactly one parent, which comes before it
    assert sorted(ast[1].tolist()) == list(range(1, n))
    assert (ast[0] < ast[1]).all()
    assert (g.edge_type == ag.EDGE_VAR).any() and (g.edge_type == ag.EDGE_FLOW).any()
    tokens = set(g.tokens)
    assert any(t.startswith("For:parallel") for t in tokens) and "For:serial" in tokens
    assert any(t.startswith("Store:global:") for t in tokens) and any(t.startswith("Load:") for t in tokens)
    assert not any(t.startswith(("IntImm", "Var")) for t in tokens)  # leaves are folded into parents
    loops = np.array([t.startswith("For") for t in g.tokens])
    assert (g.features[loops, ag.FEATURES.index("log2_extent")] > 0).any()


def test_replay_matches_program_mod(mini_suite) -> None:  # type: ignore[no-untyped-def]
    import tvm_ffi

    p = mini_suite.programs_of("train")[1]
    mine = ag.scheduled_func(fresh(p))
    assert tvm_ffi.structural_equal(mine, p.mod["main"])


def test_cache_round_trip(mini_suite, cache: Path) -> None:  # type: ignore[no-untyped-def]
    progs = [fresh(p) for p in mini_suite.programs_of("train")[:3]]
    built = [gs.program_graph(p) for p in progs]
    assert len(list(cache.rglob("*.pkl"))) == 3
    again = gs.build_graphs([fresh(p) for p in progs], workers=1)
    for a, b in zip(built, again):
        assert a.vocab == b.vocab
        for field in ("token_idx", "features", "edge_index", "edge_type"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert gs.graph_key(progs[0]) != gs.graph_key(progs[1])
    assert gs.graph_key(progs[0]) == gs.graph_key(fresh(progs[0]))


@pytest.mark.slow
def test_process_pool_matches_serial(mini_suite, cache: Path) -> None:  # type: ignore[no-untyped-def]
    progs = mini_suite.programs_of("train")[:4]
    pooled = gs.build_graphs([fresh(p) for p in progs], workers=2, use_disk=False, min_parallel=1)
    assert W._pool is not None
    pids, ticks = [proc.pid for proc in W._pool.procs], W._pool.ticks
    again = gs.build_graphs([fresh(p) for p in progs], workers=2, use_disk=False, min_parallel=1)
    assert [proc.pid for proc in W._pool.procs] == pids  # the started workers serve the next build
    assert W._pool.ticks == ticks + len(progs)  # every graph reached the progress bar
    serial = [ag.build_graph(fresh(p)) for p in progs]
    for a, b, c in zip(pooled, again, serial):
        assert a.vocab == b.vocab == c.vocab
        np.testing.assert_array_equal(a.features, c.features)
        np.testing.assert_array_equal(b.features, c.features)
        np.testing.assert_array_equal(a.edge_index, b.edge_index)
