"""The `tircost-bench` command line. Each command is a thin wrapper over a pipeline module, one file per
command group (imports inside the commands are lazy, so `--help` stays fast). User errors become one or two
lines on stderr (cli/app.py); --verbose shows the traceback."""

from __future__ import annotations

from tircost_bench.cli import authoring, collect, evaluate, info, leaderboard, search, suite, train  # noqa: F401 - registers
from tircost_bench.cli.app import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover
    app()
