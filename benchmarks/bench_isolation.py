"""What the submission worker costs: evaluate() wall time with the worker (as shipped) vs in-process.

    nice -n 10 python benchmarks/bench_isolation.py --suite h100 --submission submissions/xgboost --seeds 1

The suite is loaded once (its ~10 s are not part of either side). A warm-up evaluation fills the disk
caches (features) first, so both sides read them; before each timed run the programs' in-memory caches
are dropped, so neither side inherits the other's. The worker side pays: starting and confining the
interpreter, importing the submission, sending the test programs (pickled) and reading predictions back.
Target (#19): overhead <= 10% of evaluate's wall time on h100. Prints a table.
"""

from __future__ import annotations

import argparse
import time


def timed(submission: str, suite: object, seeds: int, isolation: str) -> tuple[float, object]:
    from tircost_bench.evaluation import evaluate

    for program in suite.programs.values():  # type: ignore[attr-defined]
        program.drop_cache()
    start = time.perf_counter()
    result = evaluate(submission, suite, seeds=seeds, progress=False, isolation=isolation)
    return time.perf_counter() - start, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--submission", default="submissions/xgboost")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1, help="timed runs per side (alternating)")
    args = ap.parse_args()

    from tircost_bench.progress import set_verbosity
    from tircost_bench.suite.loader import load_suite

    set_verbosity("quiet")
    start = time.perf_counter()
    suite = load_suite(args.suite)
    load_s = time.perf_counter() - start
    warm_s, _ = timed(args.submission, suite, 1, "none")
    walls: dict[str, list[float]] = {"none": [], "auto": []}
    results = {}
    for _ in range(args.repeats):
        for isolation in ("auto", "none"):
            wall, results[isolation] = timed(args.submission, suite, args.seeds, isolation)
            walls[isolation].append(wall)
    inside, worker = min(walls["none"]), min(walls["auto"])
    same = results["none"].aggregate == results["auto"].aggregate
    print(f"{args.submission} on {args.suite} ({len(suite.programs_of('test'))} test programs), "
          f"{args.seeds} seed(s); suite load {load_s:.1f} s, warm-up {warm_s:.1f} s")
    print(f"{'mode':<22} {'evaluate wall (s)':>18} {'overhead':>9}")
    print(f"{'in-process (none)':<22} {inside:>18.1f} {'':>9}")
    print(f"{'worker (' + results['auto'].isolation + ')':<22} {worker:>18.1f} {100 * (worker / inside - 1):>8.1f}%")
    print(f"with the suite load counted: {100 * ((worker + load_s) / (inside + load_s) - 1):.1f}% overhead; "
          f"metrics identical: {same}")


if __name__ == "__main__":
    main()
