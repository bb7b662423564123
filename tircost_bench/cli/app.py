"""The typer application and its sub-apps; commands register themselves from the sibling modules."""

from __future__ import annotations

import typer

app = typer.Typer(help="Benchmark suites and a leaderboard for learned cost models of TVM tensor programs.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
suite_app = typer.Typer(help="Build, verify and inspect suites.", no_args_is_help=True)
app.add_typer(suite_app, name="suite")
