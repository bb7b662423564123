"""What the submission worker costs: `tircost-bench evaluate` wall time with the worker (as shipped) vs
in-process (`--isolation none`).

    nice -n 10 python benchmarks/bench_isolation.py --suite h100 --submission submissions/xgboost --seeds 1

Each run is a fresh `tircost-bench evaluate ... --no-track` process, as a user runs it (suite load, imports,
checkpoint load, predict, scoring), alternating the two modes. A warm-up run first fills the disk caches
(features), so every timed run reads them. The worker side pays: starting and confining an interpreter,
sending the test programs and reading predictions back; the imports of TVM and the submission move to the
worker rather than adding. Target (#19): overhead <= 10% of evaluate's wall time on h100. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from goals import cli, record, timed_run

GOAL_OVERHEAD = 0.10  # #19: the worker's share of evaluate's wall time


def run(submission: str, suite: str, seeds: int, isolation: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        wall = timed_run(cli("evaluate", submission, "--suite", suite, "--seeds", str(seeds), "--no-track",
                             "--isolation", isolation, "--json-out", str(out)))
        return wall, json.loads(out.read_text())


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--submission", default="submissions/xgboost")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per mode (alternating; the best counts)")
    args = ap.parse_args(argv)

    warm, _ = run(args.submission, args.suite, 1, "none")
    walls: dict[str, list[float]] = {"none": [], "auto": []}
    results = {}
    for _ in range(args.repeats):
        for isolation in ("auto", "none"):
            wall, results[isolation] = run(args.submission, args.suite, args.seeds, isolation)
            walls[isolation].append(wall)
    inside, worker = min(walls["none"]), min(walls["auto"])
    same = results["none"]["aggregate"] == results["auto"]["aggregate"]
    print(f"tircost-bench evaluate {args.submission} --suite {args.suite} --seeds {args.seeds} "
          f"({results['auto']['counts']['test_programs']} test programs); warm-up {warm:.1f} s")
    print(f"{'mode':<22} {'wall (s), best':>15} {'all runs (s)':>20} {'overhead':>9}")
    for mode, label in (("none", "in-process (none)"), ("auto", f"worker ({results['auto']['isolation']})")):
        best = min(walls[mode])
        extra = f"{100 * (best / inside - 1):>8.1f}%" if mode == "auto" else ""
        print(f"{label:<22} {best:>15.1f} {' '.join(f'{w:.1f}' for w in walls[mode]):>20} {extra:>9}")
    print(f"metrics identical: {same}; worker overhead {worker - inside:+.1f} s")
    return {"inside": inside, "worker": worker, "same": same}


def test_isolation():
    """xgboost on h100, 1 seed, best of 1 per mode (3 evaluate processes, ~1-2 min on 2 cores)."""
    out = main(["--repeats", "1"])
    assert out["same"], "the worker and in-process runs must give the same metrics"
    record("isolation", "evaluate xgboost h100: worker overhead", 100 * (out["worker"] / out["inside"] - 1), "%",
           at_most=100 * GOAL_OVERHEAD, note=f"worker {out['worker']:.1f} s, in-process {out['inside']:.1f} s")


if __name__ == "__main__":
    main()
