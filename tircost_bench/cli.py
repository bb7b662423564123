"""The `tircost-bench` command line. Each command is a thin wrapper over a pipeline module (imports are lazy,
so `--help` stays fast)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

app = typer.Typer(help="Benchmark suites and a leaderboard for learned cost models of TVM tensor programs.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
suite_app = typer.Typer(help="Build, verify and inspect suites.", no_args_is_help=True)
app.add_typer(suite_app, name="suite")


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
    from tircost_bench.collect.zoo import HELD_OUT_NETWORKS
    from tircost_bench.paths import suites_dir
    from tircost_bench.suite.pack import pack_suite

    manifest = pack_suite(work, suites_dir() / suite, suite, version, list(HELD_OUT_NETWORKS), notes=notes)
    typer.echo(f"packed {suite}: {manifest.counts} sha256 {manifest.sha256[:16]}")


@suite_app.command("pack")
def suite_pack(suite: str, work_dir: Path | None = None, version: str = "1",
               notes: str = typer.Option("", help="Measurement conditions worth knowing, kept in the manifest.")) -> None:
    """Pack a (possibly partial) collection folder into suites/SUITE (tasks with 2+ measured programs)."""
    _pack(work_dir or Path("collect-work") / suite, suite, version, notes)


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


@app.command()
def evaluate(
    path: str = typer.Argument(..., help="Submission folder, or a registered name (random, roofline, ...)."),
    suite: str | None = typer.Option(None, help="Suite name or folder (default: the newest shipped suite)."),
    seeds: int = typer.Option(3, min=1, help="Seeds 0..N-1; results report mean ± std over them."),
    retrain: bool = typer.Option(False, help="Fit even where a checkpoint for (suite, seed) exists."),
    json_out: Path | None = typer.Option(None, help="Also write the results JSON here."),
    no_track: bool = typer.Option(False, "--no-track", help="Do not record the evaluation in MLflow."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds allowed per fit/load/predict call."),
) -> None:
    """Score a submission on a suite's test split over seeds; record it in MLflow for the leaderboard."""
    from tircost_bench.evaluation.evaluate import EvaluationError
    from tircost_bench.evaluation.evaluate import evaluate as run_evaluation
    from tircost_bench.evaluation.report import print_result
    from tircost_bench.predictors.submission import SubmissionError

    try:
        if no_track:
            result, run_id = run_evaluation(path, suite, seeds=seeds, retrain=retrain,
                                            time_limit_sec=time_limit), ""
        else:
            from tircost_bench.evaluation.tracking import evaluate_tracked

            result, run_id = evaluate_tracked(path, suite, seeds=seeds, retrain=retrain,
                                               time_limit_sec=time_limit)
    except (EvaluationError, SubmissionError, FileNotFoundError, RuntimeError) as err:
        failed = getattr(err, "result", None)
        if json_out and failed is not None:
            failed.save(json_out)
        typer.secho(f"error: {str(err).splitlines()[0]}", err=True, fg="red")
        raise typer.Exit(1) from None
    print_result(result, run_id)
    if json_out:
        result.save(json_out)


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
    from tircost_bench.suite.catalog import default_suite

    name, _ = suite_ref(suite or default_suite())
    rows = ranked_rows(suite or name, metric)
    if as_json:
        typer.echo(rows_json(name, metric, rows), nl=False)
    else:
        print_rows(name, metric, rows)
    if publish:
        md, js = write_files(suite or name, metric)
        typer.echo(f"published {md} and {js}", err=as_json)


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


@app.command("new")
def new_submission_cmd(
    name: str = typer.Argument(..., help="Submission name: a letter, then letters, digits or '_'."),
    directory: Path = typer.Option(Path("submissions"), "--dir", help="Parent folder of the new submission."),
) -> None:
    """Scaffold DIR/NAME: submission.json, a working model.py, train.py, README.md, tests/test_regression.py."""
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
    typer.secho(f"all checks passed: next `tircost-bench evaluate {path} --seeds 5`", fg="green")

@app.command()
def search(
    path: str = typer.Argument(..., help="Submission folder, or a registered name."),
    suite: str | None = typer.Option(None, help="Suite name or folder (default: the newest shipped suite)."),
    budget: int = typer.Option(1000, min=1, help="Trials per model (over all tasks), the same for every model."),
    networks: str | None = typer.Option(None, help="Network ids or names, comma-separated (default: held-out)."),
    per_iter: int = typer.Option(64, min=1, help="Trials per measured batch (num_trials_per_iter)."),
    seed: int = typer.Option(0, help="Seed of the tuner and of the predictor (its checkpoint for this seed)."),
    references: str = typer.Option("xgb,random", help="Stock references to run too: xgb, random (or '')."),
    scheduler: str = typer.Option("gradient", help="Task scheduler: gradient or round-robin."),
    out: Path | None = typer.Option(None, help="Output folder (default search-results/SUITE/NAME-seedS)."),
    retrain: bool = typer.Option(False, help="Fit even where a checkpoint for (suite, seed) exists."),
    no_track: bool = typer.Option(False, "--no-track", help="Do not record the search in MLflow."),
) -> None:
    """Tune the held-out networks with the submission's cost model vs. TVM's stock XGBModel and RandomModel."""
    from tircost_bench.search import SearchConfig, SearchError, default_out_dir, run_search, save_all

    refs = tuple(r.strip() for r in references.split(",") if r.strip())
    config = SearchConfig(budget=budget, per_iter=per_iter, seed=seed, scheduler=scheduler, references=refs)
    nets = [n.strip() for n in networks.split(",") if n.strip()] if networks else None
    try:
        results = run_search(path, suite, config, networks=nets, retrain=retrain)
    except SearchError as err:
        typer.secho(f"error: {err}", err=True, fg="red")
        raise typer.Exit(1) from None
    saved = save_all(results, out or default_out_dir(results), track=not no_track)
    for nid, net in sorted(results["networks"].items()):
        for model, m in net["metrics"].items():
            lat, ttr, speed_up = m["final_latency"], m["time_to_reference"], m["speed_up"]
            typer.echo(f"{nid} {model}: final {'–' if lat is None else f'{lat * 1e3:.3f} ms'}, time to reference "
                       f"{'never' if ttr is None else f'{ttr:.1f} s'}, "
                       f"speed-up {'–' if speed_up is None else f'{speed_up:.2f}x'}")
    run_id = saved["mlflow_run_id"]
    typer.echo(f"results: {saved['results']}" + (f" (mlflow run {run_id})" if run_id else ""))


@app.command("publish-search")
def publish_search_cmd(
    results: list[Path] = typer.Argument(..., help="search_results.json files of one suite (any submissions)."),
) -> None:
    """Write leaderboard/SUITE-search.md and .json from `tircost-bench search` results."""
    from tircost_bench.search.publish import load_results, publish_search

    missing = [str(p) for p in results if not p.is_file()]
    if missing:
        typer.secho(f"error: no such results file: {', '.join(missing)} (run `tircost-bench search` first)",
                    err=True, fg="red")
        raise typer.Exit(1)
    md, js = publish_search(load_results(results))
    typer.echo(f"published {md} and {js}")


def main() -> None:  # pragma: no cover
    app()
