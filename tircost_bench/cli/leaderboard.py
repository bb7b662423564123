"""The ranked table, publishing, and the MLflow copy of the published runs: `leaderboard [sync-mlflow]`."""

from __future__ import annotations

import typer

from tircost_bench.cli.app import app

leaderboard_app = typer.Typer(help="Rank submissions from the results files; publish; copy them into MLflow.")
app.add_typer(leaderboard_app, name="leaderboard")


@leaderboard_app.callback(invoke_without_command=True)
def leaderboard(
    ctx: typer.Context,
    suite: str | None = typer.Option(None, help="Suite name (default: the newest shipped suite)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    publish: bool = typer.Option(False, "--publish", help="Copy your eligible runs into leaderboard/results/ and "
                                                           "rewrite leaderboard/SUITE.md and SUITE.json."),
    metric: str = typer.Option("pairwise_accuracy", help="Metric to rank by (mean over seeds)."),
) -> None:
    """One row per submission from the published results files plus your own runs (paths.runs_dir())."""
    if ctx.invoked_subcommand is not None:
        return
    from tircost_bench.leaderboard import PublishError, build_board
    from tircost_bench.leaderboard import publish as publish_runs
    from tircost_bench.leaderboard.publish import print_board
    from tircost_bench.leaderboard.ranking import board_json, suite_ref
    from tircost_bench.suite.catalog import default_suite

    name, _ = suite_ref(suite or default_suite())
    target = suite or name
    if publish:
        try:
            report = publish_runs(target, metric)
        except PublishError as err:
            typer.secho(f"error: {err}", err=True, fg="red")
            raise typer.Exit(1) from None
        for p in report.problems:
            typer.secho(str(p), err=True, fg="yellow")
        for r in report.refused:
            typer.secho(str(r), err=True, fg="red")
        if report.legacy_dropped:
            typer.secho(f"the previous table's rows {', '.join(report.legacy_dropped)} had no results file (built "
                        "from MLflow): evaluate them with --seeds 5 and publish again to bring them back",
                        err=True, fg="yellow")
        for folder in report.copied:
            typer.echo(f"published {folder}", err=True)
        md, js = report.files
        typer.echo(f"wrote {md} and {js} ({len(report.copied)} run(s) newly published, {len(report.refused)} "
                   "refused); commit leaderboard/", err=True)
    board = build_board(target, metric)
    if not board.rows and board.suite_sha256 is None:
        from tircost_bench.suite.catalog import suite_path

        suite_path(target)  # no such suite here and no results of it: an error with a did-you-mean
    if as_json:
        typer.echo(board_json(board), nl=False)
    else:
        print_board(board)
    if publish and report.refused:
        raise typer.Exit(1)


@leaderboard_app.command("sync-mlflow")
def sync_mlflow(
    suite: str | None = typer.Option(None, help="Only this suite (default: every suite with published results)."),
) -> None:
    """Record the published results files in the local MLflow store (then `mlflow ui` shows them)."""
    from tircost_bench.evaluation.tracking import tracking_uri
    from tircost_bench.leaderboard.mlflow_sync import sync_mlflow as run_sync

    report = run_sync(suite)
    for p in report.problems:
        typer.secho(str(p), err=True, fg="yellow")
    typer.echo(f"{len(report.added)} published run(s) added to {tracking_uri()}, {report.unchanged} already there; "
               f"browse with `mlflow ui --backend-store-uri {tracking_uri()}`")
