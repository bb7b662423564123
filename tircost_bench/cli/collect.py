"""Collecting measurements, packing and featurizing suites: `collect`, `presample`, `suite pack`, `suite featurize`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from tircost_bench.cli.app import app, suite_app


@app.command()
def collect(
    suite: str = typer.Option(..., help="Suite name, e.g. cpu-epyc2 or h100."),
    target: str = typer.Option("cpu", help="'cpu' (this host, llvm) or 'cuda[:sm_XX]'."),
    networks: str = typer.Option("all", help="Network ids (resnet_50-b1,...), 'all', 'b1', or 'prepared' "
                                 "(continue a work folder's task table without extracting)."),
    programs: int = typer.Option(32, help="Successfully measured programs wanted per task."),
    workers: int = typer.Option(max(1, (os.cpu_count() or 2)), help="Sampling/build worker processes."),
    work_dir: Path | None = typer.Option(None, help="Resumable collection folder (default collect-work/SUITE)."),
    repeat: int = typer.Option(3, help="Timed repeats per program (its noise figure)."),
    min_repeat_ms: int = typer.Option(40, help="Minimum milliseconds of one timed repeat."),
    timeout: float = typer.Option(20.0, help="Seconds before a run counts as a timeout."),
    overlap: bool = typer.Option(False, help="Build ahead while measuring (GPU; skews CPU timings)."),
    limit_tasks: int | None = typer.Option(None, help="Collect only the first N tasks (in hash order)."),
    time_limit: float | None = typer.Option(None, help="Stop cleanly after this many seconds (resumable)."),
    prepare_only: bool = typer.Option(False, help="Extract and write the task table, measure nothing."),
    max_tasks: int | None = typer.Option(None, help="All held-out networks' tasks plus others up to N in all."),
    rpc_tracker: str | None = typer.Option(None, help="host:port of a TVM RPC tracker: measure on its servers."),
    rpc_key: str = typer.Option("local", help="Device key the RPC servers registered with."),
    rpc_workers: int = typer.Option(1, help="Programs measured at once through the tracker."),
    pack: bool = typer.Option(True, help="Pack the suite into suites/SUITE when done."),
    version: str = typer.Option("1", help="Suite version written to the manifest."),
) -> None:
    """Measure random MetaSchedule programs of real networks' tasks (resumable; re-run to continue)."""
    from tircost_bench.collect.campaign import collect_tasks, load_prepared, prepare
    from tircost_bench.collect.collector import CollectConfig, summary_json
    from tircost_bench.collect.measure import MeasureSettings, RPCSettings
    from tircost_bench.collect.targets import target_from_preset
    from tircost_bench.collect.zoo import all_network_ids

    work = work_dir or Path("collect-work") / suite
    target_json = target_from_preset(target)
    measure = MeasureSettings(repeat=repeat, min_repeat_ms=min_repeat_ms, timeout_sec=timeout)
    if networks == "prepared":
        tasks = load_prepared(work)
    else:
        if networks in ("all", "b1"):  # b1: every network at batch size 1
            nets = [n for n in all_network_ids() if networks == "all" or n.endswith("-b1")]
        else:
            nets = [n.strip() for n in networks.split(",") if n.strip()]
        tasks = prepare(work, nets, target_json, measure.to_json(), max_tasks)
    if prepare_only:
        typer.echo(f"prepared {len(tasks)} tasks in {work}")
        return
    rpc = None
    if rpc_tracker:
        host, _, port = rpc_tracker.rpartition(":")
        rpc = RPCSettings(host, int(port), rpc_key, rpc_workers)
    config = CollectConfig(target=target_json, programs_per_task=programs, workers=workers, measure=measure,
                           rpc=rpc, overlap=overlap, time_limit_sec=time_limit)
    summary = collect_tasks(work, tasks, config, limit_tasks)
    typer.echo(json.dumps(summary_json(summary)))
    if pack:
        _pack(work, suite, version)

@app.command()
def presample(
    work_dir: Path = typer.Option(..., help="A prepared collection folder (see `collect --prepare-only`)."),
    programs: int = typer.Option(100, help="Programs wanted per task (measured + presampled)."),
    workers: int = typer.Option(max(1, (os.cpu_count() or 2)), help="Sampling worker processes."),
    time_limit: float | None = typer.Option(None, help="Stop after this many seconds (resumable)."),
) -> None:
    """Draw valid random programs for a prepared campaign's target here, without building or measuring them:
    the measuring machine's `collect` then replays and builds them first, instead of drawing (random CUDA
    schedules are mostly invalid, and a GPU machine's time is scarcer than this one's)."""
    from dataclasses import asdict

    from tircost_bench.collect.campaign import load_prepared, presample_tasks

    summary = presample_tasks(work_dir, load_prepared(work_dir), programs, workers, time_limit)
    typer.echo(json.dumps(asdict(summary)))

def _pack(work: Path, suite: str, version: str, notes: str = "") -> None:
    from tircost_bench.collect.pack import pack_suite
    from tircost_bench.collect.zoo import HELD_OUT_NETWORKS
    from tircost_bench.paths import suites_dir

    manifest = pack_suite(work, suites_dir() / suite, suite, version, list(HELD_OUT_NETWORKS), notes=notes)
    typer.echo(f"packed {suite}: {manifest.counts} sha256 {manifest.sha256[:16]}")

@suite_app.command("pack")
def suite_pack(suite: str, work_dir: Path | None = None, version: str = "1",
               notes: str = typer.Option("", help="Measurement conditions worth knowing, kept in the manifest.")) -> None:
    """Pack a (possibly partial) collection folder into suites/SUITE (tasks with 2+ measured programs)."""
    _pack(work_dir or Path("collect-work") / suite, suite, version, notes)


@suite_app.command("featurize")
def suite_featurize(
    suite: str = typer.Argument(..., help="Suite name or folder."),
    splits: str = typer.Option("train,val,test", help="Splits to featurize (comma-separated)."),
    limit: int = typer.Option(0, help="At most this many programs (0: all), e.g. a slice to time a cluster."),
    workers: int = typer.Option(0, help="Local worker processes (0: one per core)."),
    dask: str | None = typer.Option(None, help="Featurize on Dask: a scheduler address (tcp://host:8786) or "
                                    "local:N (a local cluster of N worker processes)."),
) -> None:
    """Compute PerStoreFeature of a suite's programs into the feature cache (once per program, any suite)."""
    import time

    from tircost_bench.representations import features as F
    from tircost_bench.suite.loader import load_suite

    s = load_suite(suite)
    programs = [p for name in splits.split(",") for p in s.programs_of(name.strip())]
    if limit:  # a slice spread over the tasks, not the first task's programs
        programs = programs[:: max(1, len(programs) // limit)][:limit]
    if dask:
        from tircost_bench.representations.distributed import dask_client

        with dask_client(dask) as client:
            t0 = time.perf_counter()  # workers are up and have imported TVM (see dask_client)
            F.per_store_features(programs, dask=client)
            seconds = time.perf_counter() - t0
    else:
        from tircost_bench.representations import workers as W

        W.pool(workers or W.default_workers())  # started (TVM imported) before the clock, as on the cluster
        t0 = time.perf_counter()
        F.per_store_features(programs, workers=workers or None, min_parallel=1)
        seconds = time.perf_counter() - t0
    typer.echo(json.dumps({"suite": s.name, "programs": len(programs), "seconds": round(seconds, 2),
                           "programs_per_s": round(len(programs) / seconds, 1), "backend": dask or "pool"}))
