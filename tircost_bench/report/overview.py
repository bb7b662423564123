"""One small four-panel figure for the README: latency per task, global vs per-task z, noise, outcomes."""

from __future__ import annotations

from pathlib import Path

from tircost_bench.report import coverage, latency, noise, zscore
from tircost_bench.report.common import ReportFigure, new_figure, save
from tircost_bench.report.data import ReportData

OVERVIEW_DPI = 72  # keeps the PNG small enough for the README (< 150 KB)


def render(data: ReportData, out_dir: Path) -> list[ReportFigure]:
    fig = new_figure(14.0, 8.0)
    grid = fig.add_gridspec(2, 3)
    ax = fig.add_subplot(grid[0, :2])
    latency.draw_task_boxes(ax, data, legend=True)
    ax.set_title(f"{data.suite}: latency per task ({len(data.measured_tasks)} tasks, log scale)", fontsize=10)
    noise.draw_cv_histogram(fig.add_subplot(grid[0, 2]), data)
    zscore.draw_z_pair(fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1]), data)
    out = fig.add_subplot(grid[1, 2])
    handles = coverage.draw_network_outcomes(out, data, legend=False)
    if handles:
        out.legend(handles=handles, fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    out.set_title("programs per network (* held out)", fontsize=10)
    save(fig, out_dir, "overview.png", dpi=OVERVIEW_DPI)
    return [ReportFigure(
        "overview.png", "Overview",
        "The suite at a glance: per-task latency, repeat noise, a global z-score against a per-task one, and "
        "programs per network by outcome.")]
