"""Where everything is: `info` (alias `doctor`)."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from typing import Any

import typer

from tircost_bench.cli.app import app

PACKAGES = ("tircost-bench", "apache-tvm", "apache-tvm-ffi", "torch", "torch-geometric", "xgboost", "mlflow")


def gather() -> dict[str, Any]:
    """Locations (with the rule that chose each), versions, suites found, and the MLflow store's state."""
    from tircost_bench.paths import locations, mlflow_location
    from tircost_bench.suite.catalog import suite_names
    from tircost_bench.tracking_store import store_status

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    from tircost_bench.paths import PACKAGE_DIR

    return {
        "package": str(PACKAGE_DIR),
        "python": sys.executable,
        "locations": [{"name": loc.name, "path": loc.path, "source": loc.source} for loc in locations()],
        "versions": versions,
        "suites": suite_names(),
        "mlflow_store": store_status(mlflow_location().path),
    }


def _info(as_json: bool) -> None:
    info = gather()
    if as_json:
        typer.echo(json.dumps(info, indent=1))
        return
    typer.echo("locations (explicit option > environment variable > project of the working directory > "
               "package checkout):")
    for loc in info["locations"]:
        typer.echo(f"  {loc['name']:<12} {loc['path'] or '-'}")
        typer.echo(f"  {'':<12} from: {loc['source']}")
    typer.echo(f"package:      {info['package']} (python {info['python']})")
    typer.echo("versions:     " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    typer.echo(f"suites:       {', '.join(info['suites']) or 'none found (pass --suite PATH)'}")
    typer.echo(f"mlflow store: {info['mlflow_store']}")


@app.command("info")
def info_cmd(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Print every location (suites, submissions, leaderboard, MLflow store, cache), where each came from,
    versions, the suites found, and whether the MLflow store is usable."""
    _info(as_json)


@app.command("doctor", hidden=True)
def doctor_cmd(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Same as `info`."""
    _info(as_json)
