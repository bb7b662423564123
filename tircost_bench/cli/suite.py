"""Inspecting suites: `suites`, `suite verify`, `suite report`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tircost_bench.cli.app import app, suite_app


@suite_app.command("verify")
def suite_verify(suite: str = typer.Argument(..., help="Suite name (see `tircost-bench suites`) or folder.")) -> None:
    """Check every file of a suite against its manifest's sha256."""
    from tircost_bench.suite.catalog import suite_path
    from tircost_bench.suite.manifest import Manifest

    path = suite_path(suite)
    manifest = Manifest.read(path)
    manifest.verify(path)
    typer.echo(f"{suite}: {len(manifest.files)} files verified, sha256 {manifest.sha256}")


@app.command()
def suites(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the suites found (named by folder) with their hardware, target and split sizes."""
    from tircost_bench.suite.catalog import list_suites, print_suites

    rows = list_suites()
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
    elif not rows:
        from tircost_bench.paths import suites_location

        typer.echo(f"no suites found ({suites_location().source})", err=True)
    else:
        print_suites(rows)


@suite_app.command("report")
def suite_report(
    suite: str = typer.Argument(..., help="Suite name (see `tircost-bench suites`) or folder."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default reports/SUITE/)."),
    track: bool | None = typer.Option(None, "--track/--no-track", help="Log the report to MLflow (default: "
                                      "when MLFLOW_TRACKING_URI is set), with artifacts beside the store."),
) -> None:
    """Render a suite's data report (PNGs + index.html); optionally logged to MLflow."""
    import os

    from tircost_bench.report import build_report
    from tircost_bench.suite.catalog import suite_path

    suite_path(suite)  # an unknown name fails here, in one line, before any import of the report stack
    if track or (track is None and os.environ.get("MLFLOW_TRACKING_URI")):
        from tircost_bench.paths import mlflow_location
        from tircost_bench.tracking_store import check_store

        check_store(mlflow_location().path)
        track = True
    report = build_report(suite, out, log_mlflow=bool(track))
    typer.echo(report.findings)
    typer.echo(f"report: {report.index}" + (f" (mlflow run {report.mlflow_run_id})" if report.mlflow_run_id else ""))
