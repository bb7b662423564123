"""Inspecting suites: `suites`, `suite verify`, `suite report`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tircost_bench.cli.app import app, suite_app


@suite_app.command("verify")
def suite_verify(suite: str) -> None:
    """Check every file of a suite against its manifest's sha256."""
    from tircost_bench.suite.catalog import suite_path
    from tircost_bench.suite.manifest import Manifest

    path = suite_path(suite)
    manifest = Manifest.read(path)
    manifest.verify(path)
    typer.echo(f"{suite}: {len(manifest.files)} files verified, sha256 {manifest.sha256}")

@app.command()
def suites(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the shipped suites with their platform, networks and split sizes."""
    from tircost_bench.suite.catalog import list_suites, print_suites

    rows = list_suites()
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
    else:
        print_suites(rows)

@suite_app.command("report")
def suite_report(
    suite: str = typer.Argument(..., help="Suite name (suites/NAME) or path."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default reports/SUITE/)."),
) -> None:
    """Render a suite's data report (PNGs + index.html); logged to MLflow when MLFLOW_TRACKING_URI is set."""
    from tircost_bench.report import build_report

    report = build_report(suite, out)
    typer.echo(report.findings)
    typer.echo(f"report: {report.index}" + (f" (mlflow run {report.mlflow_run_id})" if report.mlflow_run_id else ""))
