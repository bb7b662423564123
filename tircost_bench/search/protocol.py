"""The search protocol of docs/search.md as one command: seeds x networks, every submission and stock
XGBModel in one process per seed (one warm build pool for all), results written per measured batch.

    python -m tircost_bench.search.protocol --suite h100 --networks bert_tiny-b1 --top 2 --trials-per-task 128 \
        --seeds 0,1,2 submissions/xgboost submissions/gcn_topk

Writes search-results/SUITE/NAME-seedS/search_results.json (per submission and seed); `--resume` keeps the
models a lost machine had finished.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tircost_bench.search.output import output_dir
from tircost_bench.search.result import SearchResult
from tircost_bench.search.run import SearchConfig, SearchTask, run_searches, suite_search_tasks


def protocol_tasks(suite: object, networks: Sequence[str], top: int = 0) -> list[SearchTask]:
    """Each network's tasks (its `top` heaviest by weight, ties by id, when top > 0), weighted in a network
    of its own, labelled NETWORK[topK] when cut: its curve is the latency of those tasks, not the network's."""
    tasks: list[SearchTask] = []
    for net in networks:
        mine, _ = suite_search_tasks(suite, [net])  # type: ignore[arg-type]
        mine.sort(key=lambda t: (-sum(t.weights.values()), t.task_id))
        if top:
            mine = mine[:top]
        label = net + (f"[top{top}]" if top else "")
        tasks += [SearchTask(t.task_id, t.mod, {label: sum(t.weights.values())}, t.sample) for t in mine]
    return tasks


def run_protocol(suite_name: str, submissions: Sequence[str], networks: Sequence[str], seeds: Sequence[int],
                 trials_per_task: int, top: int = 0, per_iter: int = 16, population: int | None = None,
                 workers: int | None = None, resume: bool = False, root: Path = Path(".")) -> list[SearchResult]:
    from tircost_bench.suite.loader import load_suite

    suite = load_suite(suite_name)
    tasks = protocol_tasks(suite, networks, top)
    names = [Path(s).name for s in submissions]
    out: list[SearchResult] = []
    for seed in seeds:
        config = SearchConfig(trials_per_task=trials_per_task, per_iter=per_iter, seed=seed, references=("xgb",),
                              population=population, workers=workers)
        dirs = [root / output_dir(suite.name, n, seed) for n in names]
        out += run_searches(submissions, suite, config, tasks=tasks, out_dirs=dirs, resume=resume)
        print(f"done: seed {seed}", flush=True)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submissions", nargs="+")
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--networks", required=True, help="comma-separated network ids or names")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--trials-per-task", type=int, required=True)
    ap.add_argument("--top", type=int, default=0, help="only each network's TOP heaviest tasks (0: all)")
    ap.add_argument("--per-iter", type=int, default=16)
    ap.add_argument("--population", type=int, default=None, help="evolutionary population (default: stock 512)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--resume", action="store_true")
    a = ap.parse_args(argv)
    run_protocol(a.suite, a.submissions, a.networks.split(","), [int(s) for s in a.seeds.split(",")],
                 a.trials_per_task, a.top, a.per_iter, a.population, a.workers, a.resume)


if __name__ == "__main__":
    main()
