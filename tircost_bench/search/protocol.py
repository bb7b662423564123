"""The search protocol of docs/search.md as one command: seeds x networks, every submission and stock
XGBModel in one process per seed (one warm build pool for all), results written per measured batch.

    python -m tircost_bench.search.protocol --suite h100 --networks bert_tiny-b1 --top 2 --trials-per-task 128 \
        --seeds 0,1,2 submissions/xgboost submissions/gcn_topk

Writes search-results/SUITE/NAME-seedS/search_results.json (per submission and seed; with `--per-network`
one search a network, NAME-NETWORK-seedS); `--resume` keeps the
models a lost machine had finished. `--concurrent` runs the seeds side by side, one process each on its own
equal slice of the cores (logs in search-results/SUITE/logs/seedS.log), the GPU shared by taking turns for
each measured batch (device_lock.py: the wait is off every search clock).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tircost_bench.search.device_lock import core_slices, pin_to_cores
from tircost_bench.search.output import output_dir
from tircost_bench.search.result import SearchResult
from tircost_bench.search.run import SearchConfig, SearchTask, run_searches, suite_search_tasks


def best_measured(suite: object) -> dict[str, float]:
    """Each task's fastest measured latency in the suite (s): the harness's estimate of what a task costs in
    its network (the tuner and the models never see it; it only picks which tasks a cut search tunes)."""
    import numpy as np

    uids = np.asarray(list(suite.programs), np.int64)  # type: ignore[attr-defined]
    lat = suite.latencies_of(uids)[0]  # type: ignore[attr-defined]
    best: dict[str, float] = {}
    for uid, latency in zip(uids.tolist(), lat.tolist()):
        tid = suite.programs[uid].task_id  # type: ignore[attr-defined]
        if np.isfinite(latency) and latency > 0:
            best[tid] = min(best.get(tid, float("inf")), latency)
    return best


def protocol_tasks(suite: object, networks: Sequence[str], top: int = 0) -> list[SearchTask]:
    """Each network's tasks (its `top` heaviest when top > 0: largest weight x fastest measured latency, the
    tasks that dominate the network's time; ties by id), weighted in a network of its own, labelled
    NETWORK[topK] when cut: its curve is the latency of those tasks, not the network's."""
    best = best_measured(suite) if top else {}
    tasks: list[SearchTask] = []
    for net in networks:
        mine, _ = suite_search_tasks(suite, [net])  # type: ignore[arg-type]
        mine.sort(key=lambda t: (-sum(t.weights.values()) * best.get(t.task_id, 0.0), t.task_id))
        if top:
            mine = mine[:top]
        label = net + (f"[top{top}]" if top else "")
        tasks += [SearchTask(t.task_id, t.mod, {label: sum(t.weights.values())}, t.sample) for t in mine]
    return tasks


def run_protocol(suite_name: str, submissions: Sequence[str], networks: Sequence[str], seeds: Sequence[int],
                 trials_per_task: int, top: int = 0, per_iter: int = 16, population: int | None = None,
                 workers: int | None = None, resume: bool = False, root: Path = Path("."),
                 shared_device: bool = False, cores: int | None = None, per_network: bool = False,
                 search: Callable[..., list[SearchResult]] = run_searches) -> list[SearchResult]:
    """Every seed searches all networks' tasks under one task scheduler, or with `per_network` one search a
    network (results in NAME-NETWORK-seedS): one scheduler over several networks spends the budget where the
    summed latency falls most and can leave a light network one batch a task (docs/search.md)."""
    from tircost_bench.suite.loader import load_suite

    suite = load_suite(suite_name)
    groups = [[net] for net in networks] if per_network else [list(networks)]
    searches = [(f"-{nets[0]}" if per_network else "", protocol_tasks(suite, nets, top)) for nets in groups]
    names = [Path(s).name for s in submissions]
    out: list[SearchResult] = []
    for seed in seeds:
        config = SearchConfig(trials_per_task=trials_per_task, per_iter=per_iter, seed=seed, references=("xgb",),
                              population=population, workers=workers, shared_device=shared_device, cores=cores)
        for tag, tasks in searches:  # the same tasks every seed (built once: they scan the whole suite)
            dirs = [root / output_dir(suite.name, n + tag, seed) for n in names]
            out += search(submissions, suite, config, tasks=tasks, out_dirs=dirs, resume=resume)
        print(f"done: seed {seed}", flush=True)
    return out


def last_line(log: Path) -> str:
    try:
        lines = log.read_bytes()[-4000:].decode(errors="replace").replace("\r", "\n").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][-110:] if lines else ""


def run_concurrent(child_args: list[str], seeds: Sequence[int], log_dir: Path, poll: float = 30.0) -> int:
    """One child process per seed, each pinned to its own slice of the cores and sharing the device;
    prints each seed's last log line every `poll` seconds. Returns the number of children that failed."""
    log_dir.mkdir(parents=True, exist_ok=True)
    children = []
    for seed, cores in zip(seeds, core_slices(len(seeds))):
        log = log_dir / f"seed{seed}.log"
        cmd = [sys.executable, "-m", "tircost_bench.search.protocol", *child_args, "--seeds", str(seed),
               "--cores", ",".join(map(str, cores)), "--shared-device"]
        with log.open("w") as out:
            children.append((seed, log, subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)))
        print(f"seed {seed}: cores {cores[0]}-{cores[-1]}, log {log}", flush=True)
    while any(p.poll() is None for _, _, p in children):
        time.sleep(poll)
        for seed, log, p in children:
            state = "running" if p.poll() is None else f"exit {p.returncode}"
            print(f"seed {seed} [{state}]: {last_line(log)}", flush=True)
    failed = [seed for seed, _, p in children if p.returncode != 0]
    for seed in failed:
        print(f"seed {seed} failed: see {log_dir / f'seed{seed}.log'}", flush=True)
    return len(failed)


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
    ap.add_argument("--concurrent", action="store_true", help="run the seeds side by side on slices of the cores")
    ap.add_argument("--per-network", action="store_true", help="one search a network (NAME-NETWORK-seedS), "
                    "not one task scheduler over every network's tasks")
    ap.add_argument("--cores", default=None, help=argparse.SUPPRESS)  # a --concurrent child's core slice
    ap.add_argument("--shared-device", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    seeds = [int(s) for s in a.seeds.split(",")]
    if a.concurrent:
        child = [*a.submissions, "--suite", a.suite, "--networks", a.networks, "--trials-per-task",
                 str(a.trials_per_task), "--top", str(a.top), "--per-iter", str(a.per_iter),
                 *(["--population", str(a.population)] if a.population else []), *(["--resume"] if a.resume else []),
                 *(["--per-network"] if a.per_network else [])]
        sys.exit(1 if run_concurrent(child, seeds, Path("search-results") / a.suite / "logs") else 0)
    cores = [int(c) for c in a.cores.split(",")] if a.cores else None
    if cores:
        pin_to_cores(cores)  # before TVM starts its thread pool or any build worker
    run_protocol(a.suite, a.submissions, a.networks.split(","), seeds, a.trials_per_task, a.top, a.per_iter,
                 a.population, a.workers or (len(cores) if cores else None), a.resume, shared_device=a.shared_device,
                 cores=len(cores) if cores else None, per_network=a.per_network)


if __name__ == "__main__":
    main()
