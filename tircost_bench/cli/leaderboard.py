"""The ranked table and its published files: `leaderboard`."""

from __future__ import annotations

import typer

from tircost_bench.cli.app import app


@app.command()
def leaderboard(
    suite: str | None = typer.Option(None, help="Suite name (default: the newest shipped suite)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    publish: bool = typer.Option(False, "--publish", help="Write leaderboard/SUITE.md and SUITE.json."),
    metric: str = typer.Option("pairwise_accuracy", help="Metric to rank by (mean over seeds)."),
) -> None:
    """Rank the latest successful evaluation of each submission version on a suite (from MLflow)."""
    from tircost_bench.leaderboard.publish import print_rows
    from tircost_bench.leaderboard.publish import publish as write_files
    from tircost_bench.leaderboard.ranking import ranked_rows, rows_json, suite_ref
    from tircost_bench.suite.catalog import default_suite, suite_path

    name, sha = suite_ref(suite or default_suite())
    rows = ranked_rows(suite or name, metric)
    if not rows and sha is None:
        suite_path(suite or name)  # no such suite here and no runs of it: an error with a did-you-mean
    if as_json:
        typer.echo(rows_json(name, metric, rows), nl=False)
    else:
        print_rows(name, metric, rows)
    if publish:
        md, js = write_files(suite or name, metric)
        typer.echo(f"published {md} and {js}", err=as_json)
