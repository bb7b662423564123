"""End-to-end search: `search`, `publish-search`."""

from __future__ import annotations

from pathlib import Path

import typer

from tircost_bench.cli.app import app


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
    trials_per_task: int | None = typer.Option(None, min=1, help="Budget = this x the number of tasks (overrides --budget)."),
    order: str = typer.Option("alternate", help="Run order of the models: alternate (rotated by the seed) or fixed."),
    no_warmup: bool = typer.Option(False, "--no-warmup", help="Skip building and running a program of each task first."),
    resume: bool = typer.Option(False, help="Keep the models an interrupted search in --out had finished."),
    commit: str | None = typer.Option(None, help="Harness commit to record (default: this checkout's HEAD)."),
) -> None:
    """Tune the held-out networks with the submission's cost model vs. TVM's stock XGBModel and RandomModel."""
    from tircost_bench.predictors.submission import load_submission
    from tircost_bench.search import SearchConfig, SearchError, run_search, save_all
    from tircost_bench.search.output import output_dir
    from tircost_bench.suite.loader import load_suite

    refs = tuple(r.strip() for r in references.split(",") if r.strip())
    config = SearchConfig(budget=budget, per_iter=per_iter, seed=seed, scheduler=scheduler, references=refs,
                          trials_per_task=trials_per_task, order=order, warmup=not no_warmup)
    nets = [n.strip() for n in networks.split(",") if n.strip()] if networks else None
    try:
        sub, st = load_submission(path), load_suite(suite)
        folder = out or output_dir(st.name, sub.name, seed)  # written after every measured batch
        results = run_search(sub, st, config, networks=nets, retrain=retrain, out_dir=folder, resume=resume,
                             commit=commit)
    except SearchError as err:
        typer.secho(f"error: {err}", err=True, fg="red")
        raise typer.Exit(1) from None
    saved = save_all(results, folder, track=not no_track)
    for nid, net in sorted(results.networks.items()):
        for model, m in net.metrics.items():
            lat, ttr, speed_up = m["final_latency"], m["time_to_reference"], m["speed_up"]
            typer.echo(f"{nid} {model}: final {'–' if lat is None else f'{lat * 1e3:.3f} ms'}, time to reference "
                       f"{'never' if ttr is None else f'{ttr:.1f} s'}, "
                       f"speed-up {'–' if speed_up is None else f'{speed_up:.2f}x'}")
    run_id = saved["mlflow_run_id"]
    typer.echo(f"results: {saved['results']}" + (f" (mlflow run {run_id})" if run_id else ""))

@app.command("publish-search")
def publish_search_cmd(
    results: list[Path] = typer.Argument(..., help="search_results.json files of one suite (any submissions)."),
    plots: Path | None = typer.Option(None, help="Also write the curves over seeds (median and band), a PNG per network, here."),
    name: str | None = typer.Option(None, help="Page name (default SUITE-search): one page per card the searches ran on."),
) -> None:
    """Write leaderboard/SUITE-search.md and .json (or NAME.md/.json) from `tircost-bench search` results."""
    from tircost_bench.search.publish import load_results, publish_search
    from tircost_bench.search.result import SearchResultError

    missing = [str(p) for p in results if not p.is_file()]
    if missing:
        typer.secho(f"error: no such results file: {', '.join(missing)} (run `tircost-bench search` first)",
                    err=True, fg="red")
        raise typer.Exit(1)
    try:
        loaded = load_results(results)
    except SearchResultError as err:
        typer.secho(f"error: {err}", err=True, fg="red")
        raise typer.Exit(1) from None
    try:
        md, js = publish_search(loaded, name=name)
    except ValueError as err:  # several suites or cards in one page
        typer.secho(f"error: {err}", err=True, fg="red")
        raise typer.Exit(1) from None
    typer.echo(f"published {md} and {js}")
    if plots is not None:
        from tircost_bench.search.seed_curves import plot_seed_bands

        for path in plot_seed_bands(loaded, plots, prefix=name or f"search-{loaded[0].suite['name']}"):
            typer.echo(f"plotted {path}")
