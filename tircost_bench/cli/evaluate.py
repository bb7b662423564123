"""Scoring a submission: `evaluate`."""

from __future__ import annotations

from pathlib import Path

import typer

from tircost_bench.cli.app import app


@app.command()
def evaluate(
    path: str = typer.Argument(..., help="Submission folder, or a registered name (random, roofline, ...)."),
    suite: str | None = typer.Option(None, help="Suite name or folder (default: the newest shipped suite)."),
    seeds: int = typer.Option(3, min=1, help="Seeds 0..N-1; results report mean ± std over them."),
    retrain: bool = typer.Option(False, help="Fit even where a checkpoint for (suite, seed) exists (in the worker)."),
    json_out: Path | None = typer.Option(None, help="Also write the results JSON here."),
    no_track: bool = typer.Option(False, "--no-track", help="Do not record the evaluation in MLflow."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds allowed per fit/load/predict call."),
    memory_limit: float | None = typer.Option(
        None, "--memory-limit", help="GiB of memory the submission worker may use (default: 80% of RAM)."),
    isolation: str = typer.Option(
        "auto", help="auto (Landlock where the kernel has it), landlock, process, or none (in-process)."),
) -> None:
    """Score a submission on a suite's test split over seeds; record it in MLflow for the leaderboard."""
    from tircost_bench.evaluation.evaluate import EvaluationError
    from tircost_bench.evaluation.evaluate import evaluate as run_evaluation
    from tircost_bench.evaluation.report import print_result
    from tircost_bench.predictors.submission import SubmissionError

    limits = {"isolation": isolation,
              "memory_limit": None if memory_limit is None else int(memory_limit * 2**30)}
    try:
        if no_track:
            result, run_id = run_evaluation(path, suite, seeds=seeds, retrain=retrain,
                                            time_limit_sec=time_limit, **limits), ""
        else:
            from tircost_bench.evaluation.tracking import evaluate_tracked

            result, run_id = evaluate_tracked(path, suite, seeds=seeds, retrain=retrain,
                                               time_limit_sec=time_limit, **limits)
    except (EvaluationError, SubmissionError, FileNotFoundError, RuntimeError, ValueError) as err:
        failed = getattr(err, "result", None)
        if json_out and failed is not None:
            failed.save(json_out)
        typer.secho(f"error: {str(err).splitlines()[0]}", err=True, fg="red")
        if failed is not None and failed.traceback:
            typer.secho("(the full traceback is in the results file: --json-out, or the MLflow run)", err=True)
        raise typer.Exit(1) from None
    print_result(result, run_id)
    if json_out:
        result.save(json_out)
