"""What a search leaves behind: results JSON, curve plots (PNG), and one MLflow run per search."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from tircost_bench.search.result import SearchResult

EXPERIMENT = "tircost-bench/{suite}/search"


def output_dir(suite: str, submission: str, seed: int) -> Path:
    """search-results/SUITE/NAME-seedS, relative to the working directory."""
    return Path("search-results") / suite / f"{submission}-seed{seed}"


def default_out_dir(results: SearchResult) -> Path:
    return output_dir(results.suite["name"], results.name, results.seed)


def write_results(results: SearchResult, out_dir: Path) -> Path:
    return results.write(out_dir / "search_results.json")


def plot_curves(results: SearchResult, out_dir: Path) -> list[Path]:
    """One PNG per network: estimated network latency vs search seconds (left) and vs trials (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for nid, net in sorted(results.networks.items()):
        fig, (ax_t, ax_n) = plt.subplots(1, 2, figsize=(11, 4.2))
        for name, c in sorted(net.curves.items()):
            if not c.latency:
                continue
            ms = [x * 1e3 for x in c.latency]
            kw = {"where": "post", "label": name, "lw": 2.0 if name == results.name else 1.3}
            ax_t.step(c.seconds, ms, **kw)
            ax_n.step(c.trials, ms, **kw)
        ref = next(iter(net.metrics.values()), {}).get("reference_latency")
        for ax, xlabel in ((ax_t, "search seconds"), (ax_n, "trials")):
            if ref:
                ax.axhline(ref * 1e3, color="grey", ls=":", lw=1, label="stock XGB final")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("estimated network latency (ms)")
            ax.grid(alpha=0.3)
        ax_n.legend(fontsize=8)
        trials = max((m.trials for m in results.models.values()), default=0)
        fig.suptitle(f"{results.suite['name']} · {nid} · {trials} trials, seed {results.seed}"
                     + ("" if results.complete else " (incomplete)"))
        paths.append(save_figure(fig, out_dir / f"curves-{nid}.png"))
    return paths


def save_figure(fig: Any, path: Path) -> Path:
    """Lay out, write (110 dpi) and close a search figure; the one place its PNG settings live."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def flat_metrics(results: SearchResult) -> dict[str, float]:
    """MLflow metrics: `<network>/<model>/<metric>` and `<model>/seconds_per_trial` (None / NaN dropped)."""
    from tircost_bench.evaluation.tracking import metric_key

    out: dict[str, float] = {}
    for nid, net in results.networks.items():
        for model, m in net.metrics.items():
            for k, v in m.items():
                if isinstance(v, (int, float)) and math.isfinite(v):
                    out[metric_key(f"{nid}/{model}/{k}")] = float(v)
    for model, mr in results.models.items():
        for k in ("search_seconds", "trials", "seconds_per_trial"):
            if getattr(mr, k) is not None:
                out[metric_key(f"{model}/{k}")] = float(getattr(mr, k))
        for part, secs in mr.timing.items():
            out[metric_key(f"{model}/seconds/{part}")] = float(secs)
    return out


def log_mlflow(results: SearchResult, files: list[Path]) -> str:
    """One run in experiment tircost-bench/<suite>/search; curves as step metrics and the files as artifacts."""
    from mlflow.entities import Metric, Param, RunTag

    from tircost_bench.evaluation.tracking import artifact_root, client, metric_key

    mlc = client()
    suite = results.suite["name"]
    name = EXPERIMENT.format(suite=suite)
    exp = mlc.get_experiment_by_name(name)
    if exp is None:
        location = artifact_root(mlc.tracking_uri) / suite / "search"
        location.mkdir(parents=True, exist_ok=True)
        exp_id = mlc.create_experiment(name, artifact_location=location.as_uri())
    else:
        exp_id = exp.experiment_id
    sub = results.submission
    run = mlc.create_run(exp_id, run_name=f"{sub['name']}-{sub['version']}-search-seed{results.seed}",
                         tags={"role": "search", "submission": sub["name"], "version": sub["version"],
                               "suite_sha256": results.suite["sha256"], "harness_commit": results.harness_commit})
    rid = run.info.run_id
    params = {f"config.{k}": str(v) for k, v in results.config.items()}
    params.update({"submission.version": sub["version"], "target": json.dumps(results.target)[:500]})
    metrics = [Metric(k, v, 0, 0) for k, v in flat_metrics(results).items()]
    for nid, net in results.networks.items():  # the curves, step = trials (wall time in the JSON artifact)
        for model, c in net.curves.items():
            key = metric_key(f"{nid}/{model}/latency_curve")
            metrics += [Metric(key, lat, 0, int(n)) for n, lat in zip(c.trials, c.latency)]
    for i in range(0, len(metrics), 900):
        mlc.log_batch(rid, metrics=metrics[i:i + 900],
                      params=[Param(k, v) for k, v in params.items()] if i == 0 else [],
                      tags=[RunTag("warnings", "\n".join(results.warnings)[:5000])] if i == 0 else [])
    for f in files:
        mlc.log_artifact(rid, str(f))
    mlc.set_terminated(rid)
    return rid


def save_all(results: SearchResult, out_dir: Path, track: bool = True) -> dict[str, Any]:
    """Write the JSON and plots into out_dir, and log them to MLflow unless track is False."""
    path = write_results(results, out_dir)  # first: the results survive whatever the plots do
    try:
        plots = plot_curves(results, out_dir)
    except ImportError as err:  # e.g. the GPU machine has no matplotlib: plot the JSON elsewhere
        print(f"curves not plotted ({err}); plot_curves(json.load(...), folder) draws them from the JSON",
              file=sys.stderr)
        plots = []
    run_id = log_mlflow(results, [path, *plots]) if track else None
    return {"results": path, "plots": plots, "mlflow_run_id": run_id}
