"""Training a submission: `train` fits seeds on a suite's train split and registers the checkpoints."""

from __future__ import annotations

import typer

from tircost_bench.cli.app import app


@app.command(context_settings={"allow_extra_args": True})
def train(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="Submission folder, or a registered name."),
    suite: str | None = typer.Option(None, help="Suite name or folder (default: the newest shipped suite)."),
    seeds: str = typer.Option("0", help="Seeds to train: --seeds 0 1 2 3 4 (or 0,1,2)."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds allowed per fit/save call."),
    memory_limit: float | None = typer.Option(None, "--memory-limit", help="GiB for the worker (default 80% of RAM)."),
    isolation: str = typer.Option("auto", help="auto, landlock, process, or none (in-process)."),
) -> None:
    """Fit each seed in the confined worker; save <submission>/checkpoints/<suite>/seed<k>/ with its
    provenance.json and register it in submission.json (evaluate then loads it instead of fitting)."""
    from tircost_bench.evaluation.host import SubmissionCallError
    from tircost_bench.predictors.lifecycle import train_and_register
    from tircost_bench.predictors.provenance import CheckpointError
    from tircost_bench.predictors.submission import SubmissionError, load_submission
    from tircost_bench.suite.loader import load_suite

    try:
        seed_list = [int(x) for x in [*seeds.split(","), *ctx.args] if x != ""]
    except ValueError:
        typer.secho(f"error: --seeds takes integers, got {seeds} {' '.join(ctx.args)}", err=True, fg="red")
        raise typer.Exit(2) from None
    try:
        sub = load_submission(path)
        st = load_suite(suite)
        command = f"tircost-bench train {path} --suite {st.name} --seeds {' '.join(map(str, seed_list))}"
        records = train_and_register(sub, st, seed_list, command, isolation, time_limit,
                                     None if memory_limit is None else int(memory_limit * 2**30))
    except (SubmissionError, SubmissionCallError, CheckpointError, FileNotFoundError) as err:
        typer.secho(f"error: {str(err).splitlines()[0]}", err=True, fg="red")
        raise typer.Exit(1) from None
    for r in records:
        typer.echo(f"seed {r['seed']}: fit {r['wall_seconds']} s on {r['n_programs']['train']} programs; "
                   f"checkpoint registered for {st.name} ({st.sha256[:12]})")
