"""The typer application, its global options and the one place user errors become one-line messages;
commands register themselves from the sibling modules."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from tircost_bench import __version__
from tircost_bench.errors import describe_error
from tircost_bench.progress import set_verbosity, verbosity


class ErrorsAsMessages(TyperGroup):
    """Every exception a command raises becomes `error: ...` (and its fix) on stderr with exit code 1;
    --verbose keeps the full traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # usage errors: click's own message, exit 2
            raise
        except KeyboardInterrupt:
            typer.secho("interrupted", err=True, fg="red")
            raise typer.Exit(130) from None
        except Exception as err:
            if verbosity() >= 2:
                raise
            for i, line in enumerate(describe_error(err)):
                typer.secho(f"error: {line}" if i == 0 else f"  {line}", err=True, fg="red" if i == 0 else None)
            raise typer.Exit(1) from None


CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(cls=ErrorsAsMessages, context_settings=CONTEXT, no_args_is_help=True,
                  pretty_exceptions_show_locals=False,
                  help="Benchmark suites and a leaderboard for learned cost models of TVM tensor programs.")
suite_app = typer.Typer(help="Build, verify and inspect suites.", no_args_is_help=True, context_settings=CONTEXT)
app.add_typer(suite_app, name="suite")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tircost-bench {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars, no notices: results and errors only."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Full tracebacks and library logs (MLflow INFO)."),
    home: Path | None = typer.Option(None, "--home", help="Project root (suites/, submissions/, leaderboard/); "
                                     "above TIRCOST_HOME and the project found from the working directory."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Benchmark suites and a leaderboard for learned cost models of TVM tensor programs.

    Locations (suites, submissions, leaderboard, MLflow store): `tircost-bench info`."""
    from tircost_bench.paths import set_home

    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose contradict each other; pass one")
    set_verbosity("quiet" if quiet else "verbose" if verbose else "normal")
    set_home(home)
    if verbose:
        os.environ["MLFLOW_LOGGING_LEVEL"] = "INFO"
    else:  # MLflow configures its loggers on import from this variable (workers inherit it)
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
        for name in ("mlflow", "alembic", "urllib3"):
            logging.getLogger(name).setLevel(logging.WARNING)
