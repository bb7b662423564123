"""Predict throughput of gcn_topk (programs/s), graph building included, on 2 cores.

    nice -n 19 python benchmarks/bench_predict_gcn.py --suite cpu-epyc2 [--checkpoint DIR] [--n 500]

Phases, each on fresh Program objects (no memo): trace replay alone, AST walk alone (replayed module
given), cold predict (empty disk cache: replay + walk + model, `--workers` processes for the graphs),
warm predict (graphs from the disk cache). Without --checkpoint a tiny model is fitted first (the model's
forward pass costs the same trained or not).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Prints the phases; returns the cold and warm predict programs/s."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="cpu-epyc2")
    ap.add_argument("--split", default="train")
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--n", type=int, default=400, help="programs to predict (repeats the split if smaller)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    from tircost_bench.suite.loader import store_root

    os.environ.setdefault("TIRCOST_STORE_DIR", str(store_root()))  # the suite store survives the fresh caches
    os.environ["TIRCOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-gcn-")  # cold: nothing cached

    import torch

    from tircost_bench.predictors.submission import load_submission
    from tircost_bench.representations import ast_graph as ag
    from tircost_bench.representations import graph_store as gs
    from tircost_bench.representations.program import Program
    from tircost_bench.suite.loader import load_suite

    torch.set_num_threads(1)  # see Config.threads
    suite = load_suite(args.suite)
    base = suite.programs_of(args.split)
    sub = load_submission(Path(__file__).resolve().parents[1] / "submissions" / "gcn_topk")
    model = sub.predictor_class()(seed=0, **{**sub.meta.parameters, "graph_workers": args.workers})
    if args.checkpoint:
        model.load(args.checkpoint)
    else:
        model.config.max_epochs = 1
        model.fit(suite.labeled("train"), suite.labeled("val"))

    def fresh(k: int) -> list[Program]:
        """k new Program objects; distinct uids only, so repeats of a small split still replay."""
        return [Program(i, p.task_id, p.networks, p.workload, p._record_json)
                for i, p in ((i, base[i % len(base)]) for i in range(k))]

    for p in base:  # decode each workload once, as a suite load would before any predict
        _ = p.workload.mod
    n_phase = min(args.n, 60)
    progs = fresh(n_phase)
    t0 = time.perf_counter()
    funcs = [ag.scheduled_func(p) for p in progs]
    t_replay = (time.perf_counter() - t0) / n_phase
    t0 = time.perf_counter()
    graphs = [ag.graph_of_func(f) for f in funcs]
    t_walk = (time.perf_counter() - t0) / n_phase
    nodes = sum(g.num_nodes for g in graphs) / n_phase
    print(f"{args.suite}/{args.split}: {len(base)} distinct programs, {nodes:.0f} graph nodes on average")
    print(f"  trace replay     {1e3 * t_replay:6.2f} ms/program  ({1 / t_replay:7.0f} programs/s, 1 core)")
    print(f"  AST walk         {1e3 * t_walk:6.2f} ms/program  ({1 / t_walk:7.0f} programs/s, 1 core)")

    # Cold: one call on an empty cache; repeats of a small split are all rebuilt too, because the cache
    # is only consulted before the builds start. Includes spawning the graph workers (TVM import).
    os.environ["TIRCOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-gcn-")
    progs = fresh(args.n)
    t0 = time.perf_counter()
    model.predict(progs)
    t_cold = time.perf_counter() - t0
    print(f"  predict, cold    {args.n / t_cold:7.1f} programs/s  ({args.workers} graph workers, spawn included)")
    progs = fresh(args.n)
    t0 = time.perf_counter()
    model.predict(progs)
    t_warm = time.perf_counter() - t0
    print(f"  predict, warm    {args.n / t_warm:7.1f} programs/s  (graphs from the disk cache)")
    g = [p._cache[gs.CACHE_KEY] for p in progs]
    packed = model._pack(progs, g)
    t0 = time.perf_counter()
    model._predict_z(packed)
    print(f"  model forward    {args.n / (time.perf_counter() - t0):7.0f} programs/s  (packed graphs in memory)")
    return {"cold": args.n / t_cold, "warm": args.n / t_warm}


def test_predict_gcn(monkeypatch):
    """200 cpu-epyc2 programs after a 1-epoch fit (~30 s on 2 cores): the phases behind bench_predict's figure."""
    from goals import as_from_a_shell, record

    as_from_a_shell(monkeypatch)
    out = main(["--n", "200"])
    record("predict_gcn", "gcn_topk cold predict, cpu-epyc2 (200)", out["cold"], "programs/s",
           note="1-epoch fit; graph workers spawned in the clock")


if __name__ == "__main__":
    main()
