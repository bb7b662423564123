"""Scoring a submission: `evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tircost_bench.cli.app import app

LEADERBOARD_SEEDS = 5  # the leaderboard ranks evaluations of at least this many seeds


@app.command()
def evaluate(
    path: str = typer.Argument(..., help="Submission folder, or a registered name (random, roofline, ...)."),
    suite: str | None = typer.Option(None, help="Suite name or folder (default: the newest shipped suite)."),
    seeds: int = typer.Option(LEADERBOARD_SEEDS, min=1, help="Seeds 0..N-1; results report mean ± std over them "
                              f"(the leaderboard asks for {LEADERBOARD_SEEDS})."),
    retrain: bool = typer.Option(False, help="Fit even where a checkpoint for (suite, seed) exists (in the worker)."),
    json_out: Path | None = typer.Option(None, help="Also write the results JSON here."),
    as_json: bool = typer.Option(False, "--json", help="Print the results JSON on stdout instead of the table "
                                 "(progress stays on stderr)."),
    no_track: bool = typer.Option(False, "--no-track", help="Do not record the evaluation in MLflow."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds allowed per fit/load/predict call."),
    memory_limit: float | None = typer.Option(
        None, "--memory-limit", help="GiB of memory the submission worker may use (default: 80% of RAM)."),
    isolation: str = typer.Option(
        "auto", help="auto (Landlock where the kernel has it), landlock, process, or none (in-process)."),
) -> None:
    """Score a submission on a suite's test split over seeds; record it in MLflow for the leaderboard."""
    from tircost_bench.errors import describe_error
    from tircost_bench.progress import stage, verbosity

    if not no_track:  # fail in seconds, before any work, when runs cannot be recorded
        from tircost_bench.paths import mlflow_location
        from tircost_bench.tracking_store import check_store

        check_store(mlflow_location().path)
    from tircost_bench.predictors.submission import SubmissionError, load_submission
    from tircost_bench.suite.catalog import default_suite, suite_path

    submission = load_submission(path)  # an unknown or ambiguous name, an unknown suite: fail now, in one line
    suite_name = suite or default_suite()
    suite_path(suite_name)
    with stage(f"load suite {suite_name}"):  # shown within a second or two: TVM and torch import in here
        from tircost_bench.evaluation.evaluate import EvaluationError
        from tircost_bench.evaluation.report import print_result
        from tircost_bench.suite.loader import load_suite

        loaded = load_suite(suite_name)
    if not no_track:
        with stage("open the MLflow store"):  # its import and a new database's migrations take seconds
            from tircost_bench.evaluation.tracking import client, evaluate_tracked

            client().search_experiments(max_results=1)
    limits = {"isolation": isolation,
              "memory_limit": None if memory_limit is None else int(memory_limit * 2**30)}
    try:
        if no_track:  # the results file is still written (paths.runs_dir()), only MLflow is skipped
            from tircost_bench.evaluation.tracking import evaluate_untracked

            result, run_id = evaluate_untracked(submission, loaded, seeds=seeds, retrain=retrain,
                                                time_limit_sec=time_limit, **limits), ""
        else:
            result, run_id = evaluate_tracked(submission, loaded, seeds=seeds, retrain=retrain,
                                               time_limit_sec=time_limit, **limits)
    except (EvaluationError, SubmissionError) as err:
        failed = getattr(err, "result", None)
        if json_out and failed is not None:
            failed.save(json_out)
        if verbosity() >= 2:  # the submission's own traceback (also kept in the results file and MLflow)
            import traceback

            typer.echo(getattr(failed, "traceback", "") or "".join(traceback.format_exception(err)), err=True)
        lines = describe_error(err)
        if len(lines) == 1 and verbosity() < 2:
            lines.append("run again with --verbose for the traceback" + (" (kept in --json-out)" if json_out else ""))
        for i, line in enumerate(lines):
            typer.secho(f"error: {line}" if i == 0 else f"  {line}", err=True, fg="red" if i == 0 else None)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps({**result.to_json(), "mlflow_run_id": run_id}, indent=1))
    else:
        print_result(result, run_id)
    if json_out:
        result.save(json_out)
