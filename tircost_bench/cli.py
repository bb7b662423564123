"""The `tircost-bench` command line. Each command is a thin wrapper over a pipeline module (imports are lazy,
so `--help` stays fast)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Benchmark suites and a leaderboard for learned cost models of TVM tensor programs.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
suite_app = typer.Typer(help="Build, verify and inspect suites.", no_args_is_help=True)
app.add_typer(suite_app, name="suite")


@app.command()
def collect(
    suite: str = typer.Option(..., help="Suite name, e.g. cpu-epyc2 or h100."),
    target: str = typer.Option("cpu", help="'cpu' (this host, llvm) or 'cuda[:sm_XX]'."),
    networks: str = typer.Option("all", help="Comma-separated network ids (resnet_50-b1,...) or 'all'."),
    programs: int = typer.Option(32, help="Successfully measured programs wanted per task."),
    workers: int = typer.Option(max(1, (os.cpu_count() or 2)), help="Sampling/build worker processes."),
    work_dir: Optional[Path] = typer.Option(None, help="Resumable collection folder (default collect-work/SUITE)."),
    repeat: int = typer.Option(3, help="Timed repeats per program (its noise figure)."),
    min_repeat_ms: int = typer.Option(40, help="Minimum milliseconds of one timed repeat."),
    timeout: float = typer.Option(20.0, help="Seconds before a run counts as a timeout."),
    overlap: bool = typer.Option(False, help="Build ahead while measuring (GPU; skews CPU timings)."),
    limit_tasks: Optional[int] = typer.Option(None, help="Collect only the first N tasks (in hash order)."),
    rpc_tracker: Optional[str] = typer.Option(None, help="host:port of a TVM RPC tracker: measure on its servers."),
    rpc_key: str = typer.Option("local", help="Device key the RPC servers registered with."),
    rpc_workers: int = typer.Option(1, help="Programs measured at once through the tracker."),
    pack: bool = typer.Option(True, help="Pack the suite into suites/SUITE when done."),
    version: str = typer.Option("1", help="Suite version written to the manifest."),
) -> None:
    """Measure random MetaSchedule programs of real networks' tasks (resumable; re-run to continue)."""
    from tircost_bench.collect.campaign import collect_tasks, prepare
    from tircost_bench.collect.collector import CollectConfig, summary_json
    from tircost_bench.collect.measure import MeasureSettings, RPCSettings
    from tircost_bench.collect.targets import target_from_preset
    from tircost_bench.collect.zoo import all_network_ids

    work = work_dir or Path("collect-work") / suite
    target_json = target_from_preset(target)
    measure = MeasureSettings(repeat=repeat, min_repeat_ms=min_repeat_ms, timeout_sec=timeout)
    nets = all_network_ids() if networks == "all" else [n.strip() for n in networks.split(",") if n.strip()]
    tasks = prepare(work, nets, target_json, measure.to_json())
    rpc = None
    if rpc_tracker:
        host, _, port = rpc_tracker.rpartition(":")
        rpc = RPCSettings(host, int(port), rpc_key, rpc_workers)
    config = CollectConfig(target=target_json, programs_per_task=programs, workers=workers, measure=measure,
                           rpc=rpc, overlap=overlap)
    summary = collect_tasks(work, tasks, config, limit_tasks)
    typer.echo(json.dumps(summary_json(summary)))
    if pack:
        _pack(work, suite, version)


def _pack(work: Path, suite: str, version: str) -> None:
    from tircost_bench.collect.zoo import HELD_OUT_NETWORKS
    from tircost_bench.paths import suites_dir
    from tircost_bench.suite.pack import pack_suite

    manifest = pack_suite(work, suites_dir() / suite, suite, version, list(HELD_OUT_NETWORKS))
    typer.echo(f"packed {suite}: {manifest.counts} sha256 {manifest.sha256[:16]}")


@suite_app.command("pack")
def suite_pack(suite: str, work_dir: Optional[Path] = None, version: str = "1") -> None:
    """Pack a (possibly partial) collection folder into suites/SUITE."""
    _pack(work_dir or Path("collect-work") / suite, suite, version)


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


def main() -> None:  # pragma: no cover
    app()
