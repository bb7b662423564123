"""Published leaderboard rows for tests, made from real evaluations (never hard-coded metric values)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tircost_bench.evaluation import evaluate
from tircost_bench.evaluation.runs import save_run
from tircost_bench.leaderboard import publish


def local_run(submission: Any, suite: Any, seeds: int, runs: Path | None = None, retrain: bool = False,
              clean: bool = True) -> tuple[Any, Path]:
    """Evaluate for real and save the run folder (results.json + predictions.npz) into `runs`."""
    kept: list[Any] = []
    result = evaluate(submission, suite, seeds=seeds, retrain=retrain, progress=False, keep=kept)
    if clean:  # tests run in a working tree under development; the clean-tree rule has tests of its own
        result.environment.git_commit = result.environment.git_commit.removesuffix("+dirty") or "0" * 40
    for s in result.seeds:  # what the isolation branch's evaluate records: the checkpoint's provenance.json
        if s.checkpoint_used and not s.checkpoint:
            from tircost_bench.predictors.submission import load_submission

            ckpt = load_submission(submission).checkpoint_for(suite.sha256, s.seed)
            if (ckpt / "provenance.json").exists():
                s.checkpoint = json.loads((ckpt / "provenance.json").read_text())
    path = save_run(result, [p.uid for p in suite.programs_of("test")], [(k.seed, k.predicted) for k in kept],
                    root=runs)
    return result, path


def published_row(submission: Any, suite: Any, leaderboard: Path, runs: Path | None = None, seeds: int = 5,
                  retrain: bool = False) -> Any:
    """A real evaluation published into `leaderboard`; returns the PublishReport."""
    local_run(submission, suite, seeds, runs, retrain)
    report = publish(suite, out_dir=leaderboard, runs=runs)
    assert report.copied and not report.refused, [str(r) for r in report.refused]
    return report
