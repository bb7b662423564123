"""Writing a submission: `new`, `validate`."""

from __future__ import annotations

from pathlib import Path

import typer

from tircost_bench.cli.app import app


@app.command("new")
def new_submission_cmd(
    name: str = typer.Argument(..., help="Submission name: a letter, then letters, digits or '_'."),
    directory: Path = typer.Option(Path("submissions"), "--dir", help="Parent folder of the new submission."),
) -> None:
    """Scaffold DIR/NAME: submission.json, a working model.py, README.md, tests/test_regression.py."""
    from tircost_bench.authoring.scaffold import ScaffoldError, new_submission

    try:
        folder = new_submission(name, directory)
    except ScaffoldError as err:
        typer.secho(f"error: {err}", err=True, fg="red")
        raise typer.Exit(1) from None
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        typer.echo(f"created {f}")
    typer.echo(f"next: fill in authors and description in {folder / 'submission.json'}, then "
               f"`tircost-bench validate {folder}` (docs/submitting.md)")

@app.command("validate")
def validate_submission_cmd(
    path: Path = typer.Argument(..., help="Submission folder."),
    suite: str | None = typer.Option(None, help="Suite name or folder (default: the newest shipped suite)."),
) -> None:
    """Check a submission in seconds (metadata, import, interface, fit/predict on a slice, save/load)."""
    from tircost_bench.authoring.validate import FAIL, validate_submission

    colors = {"ok": "green", "fail": "red", "skip": "yellow"}
    checks = validate_submission(path, suite, echo=lambda c: typer.secho(c.line(), fg=colors[c.status]))
    failed = sum(c.status == FAIL for c in checks)
    if failed:
        typer.secho(f"{failed} check{'s' * (failed != 1)} failed: {path} is not ready", fg="red")
        raise typer.Exit(1)
    suite_opt = f" --suite {suite}" if suite else ""
    typer.secho(f"all checks passed: next `tircost-bench evaluate {path}{suite_opt}`", fg="green")
