"""Build a suite's data report: PNGs, index.html, a findings text, and (optionally) an MLflow run."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tircost_bench.report.common import ReportFigure
from tircost_bench.report.data import ReportData, gather, summary_text

# Figure modules in page order; each has render(data, out_dir) -> list[ReportFigure].
FIGURE_MODULES = ("overview", "latency", "zscore", "coverage", "noise", "families")
SUMMARY_JSON = "summary.json"
FINDINGS_TXT = "findings.txt"


@dataclass
class Report:
    out_dir: Path
    figures: list[ReportFigure]
    summary: dict[str, Any]
    findings: str
    index: Path
    mlflow_run_id: str | None = None

    @property
    def pngs(self) -> list[Path]:
        return [self.out_dir / f.file for f in self.figures]


def expected_pngs() -> list[str]:
    """The PNG names every report writes (for tests and docs)."""
    return ["overview.png", "latency_per_task.png", "latency_spread.png", "zscore.png", "outcomes.png",
            "networks.png", "splits.png", "noise.png", "op_families.png"]


def default_out_dir(suite: str) -> Path:
    return Path("reports") / suite


def render_all(data: ReportData, out_dir: Path) -> list[ReportFigure]:
    import importlib

    from tircost_bench.progress import stage

    figures: list[ReportFigure] = []
    with stage(f"render the report of {data.suite}", total=len(FIGURE_MODULES)) as bar:
        for name in FIGURE_MODULES:
            figures += importlib.import_module(f"tircost_bench.report.{name}").render(data, out_dir)
            bar.advance()
    return figures


def build_report(suite_name: str, out_dir: Path | None = None, verify: bool = True,
                 log_mlflow: bool | None = None) -> Report:
    """Render the report of a suite (name or path) into out_dir (default reports/<suite>/).

    MLflow: logged when log_mlflow is True, or when it is None and MLFLOW_TRACKING_URI is set."""
    from tircost_bench.progress import stage
    from tircost_bench.report.page import write_index
    from tircost_bench.suite.loader import load_suite

    with stage(f"load suite {suite_name}"):
        suite = load_suite(suite_name, verify=verify)
        data = gather(suite)
    out = Path(out_dir) if out_dir is not None else default_out_dir(data.suite)
    out.mkdir(parents=True, exist_ok=True)
    figures = render_all(data, out)
    summary = data.summary()
    findings = summary_text(summary)
    if data.skipped:
        findings += f"\n- {data.skipped} corrupt record(s) skipped by the loader."
    (out / SUMMARY_JSON).write_text(json.dumps(_jsonable(summary), indent=1, sort_keys=True) + "\n")
    (out / FINDINGS_TXT).write_text(findings + "\n")
    index = write_index(out, f"tircost-bench suite report: {data.suite} v{data.version}", summary, findings,
                        figures, data.platform)
    report = Report(out, figures, summary, findings, index)
    if log_mlflow or (log_mlflow is None and os.environ.get("MLFLOW_TRACKING_URI")):
        report.mlflow_run_id = log_to_mlflow(report)
    return report


def _jsonable(s: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in s.items()}


def log_to_mlflow(report: Report) -> str:
    """One run in experiment tircost-bench/<suite>/report: the numbers as metrics, every file as artifacts."""
    import mlflow

    from tircost_bench.evaluation.tracking import client, experiment_id

    s = report.summary
    # The evaluations' store and experiment rule: artifacts in mlartifacts/SUITE/report beside the
    # database, never ./mlruns of the working directory.
    mlc = client()
    exp_id = experiment_id(mlc, f"{s['suite']}/report")
    mlflow.set_tracking_uri(mlc.tracking_uri)
    with mlflow.start_run(experiment_id=exp_id, run_name=f"report-{s['suite']}-v{s['version']}") as run:
        mlflow.set_tags({"suite": s["suite"], "suite_version": s["version"], "suite_sha256": s["sha256"],
                         "kind": "suite-report"})
        mlflow.log_metrics({k: float(v) for k, v in s.items()
                            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)})
        mlflow.log_artifacts(str(report.out_dir))
        return run.info.run_id
