"""Latency figures: per-task distributions on a log scale, and TenSet's min_cost / cost label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from tircost_bench.report.common import ReportFigure, bars, empty_note, family_colors, new_figure, save
from tircost_bench.report.data import ReportData


def draw_task_boxes(ax, data: ReportData, legend: bool = True) -> None:  # type: ignore[no-untyped-def]
    """One box per task (sorted by median latency, log scale), colored by operator family."""
    tasks = data.measured_tasks
    if not tasks:
        empty_note(ax)
        return
    fams = [data.tasks[t].op_family for t in tasks]
    colors = family_colors(fams)
    values = [np.log10(data.latencies[t]) for t in tasks]
    pos = np.arange(1, len(tasks) + 1)
    q = np.array([np.percentile(v, [0, 25, 50, 75, 100]) for v in values])
    # Drawn as collections (whiskers min..max, box = interquartile range, tick = median): one artist each.
    ax.vlines(pos, q[:, 0], q[:, 4], colors="#555", linewidth=0.6)
    bars(ax, pos, q[:, 1], np.maximum(q[:, 3] - q[:, 1], 0.01), [colors[f] for f in fams], width=0.75)
    ax.hlines(q[:, 2], pos - 0.4, pos + 0.4, colors="black", linewidth=0.8)
    ax.set_xlim(0, len(tasks) + 1)
    step = max(1, len(tasks) // 10)
    ax.set_xticks(pos[::step])
    ax.set_xticklabels([str(p) for p in pos[::step]])
    lo, hi = np.floor(min(v.min() for v in values)), np.ceil(max(v.max() for v in values))
    ticks = np.arange(lo, hi + 1)
    ax.set_yticks(ticks)
    ax.set_yticklabels([_seconds(10.0**t) for t in ticks])
    ax.grid(axis="y", alpha=0.3)
    ax.set_xlabel("task (sorted by median latency)")
    ax.set_ylabel("latency (log scale)")
    if legend:
        handles = [Patch(facecolor=c, label=f) for f, c in colors.items()]
        ax.legend(handles=handles, fontsize=7, ncol=2, loc="upper left", title="op family", title_fontsize=7)


def _seconds(x: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if x >= scale:
            return f"{x / scale:g} {unit}"
    return f"{x:.0e} s"


def draw_log_histogram(ax, data: ReportData) -> None:  # type: ignore[no-untyped-def]
    lat = data.all_latencies
    if not lat.size:
        empty_note(ax)
        return
    ax.hist(np.log10(lat), bins=60, color="#4c72b0")
    orders = np.log10(lat.max() / lat.min())
    ax.set_title(f"all programs: {orders:.1f} orders of magnitude", fontsize=10)
    ax.set_xlabel("log10 latency (s)")
    ax.set_ylabel("programs")


def render(data: ReportData, out_dir: Path) -> list[ReportFigure]:
    n = len(data.measured_tasks)
    fig = new_figure(min(18.0, max(8.0, 0.07 * n + 6)), 5.0)
    ax = fig.add_subplot()
    draw_task_boxes(ax, data)
    ax.set_title(f"{data.suite}: latency of each task's programs ({n} tasks)", fontsize=11)
    save(fig, out_dir, "latency_per_task.png")

    fig = new_figure(15.0, 4.2)
    a1, a2, a3 = fig.subplots(1, 3)
    draw_log_histogram(a1, data)
    spreads = [np.log10(v.max() / v.min()) for t in data.measured_tasks if (v := data.latencies[t]).size >= 2]
    if spreads:
        a2.hist(spreads, bins=30, color="#55a868")
        a2.axvline(float(np.median(spreads)), color="black", ls="--", lw=1,
                   label=f"median {np.median(spreads):.2f}")
        a2.legend(fontsize=8)
    else:
        empty_note(a2)
    a2.set_title("within one task: log10(slowest / fastest)", fontsize=10)
    a2.set_xlabel("orders of magnitude")
    a2.set_ylabel("tasks")
    y = data.min_cost_ratio()
    if y.size:
        a3.hist(y, bins=np.linspace(0, 1, 41), color="#c44e52")
        a3.axvline(float(np.median(y)), color="black", ls="--", lw=1, label=f"median {np.median(y):.2f}")
        a3.legend(fontsize=8)
    else:
        empty_note(a3)
    a3.set_title("label y = min_cost / cost (per task)", fontsize=10)
    a3.set_xlabel("y (1 = the task's fastest program)")
    a3.set_ylabel("programs")
    save(fig, out_dir, "latency_spread.png")
    return [
        ReportFigure("latency_per_task.png", "Latency per task",
                     "Each box is one task's measured programs (box: interquartile range, tick: median, whiskers: min to max), tasks sorted by median "
                     "latency on a log scale and colored by operator family. Tasks differ by orders of magnitude; "
                     "programs of one task by far less."),
        ReportFigure("latency_spread.png", "Latency spread and the min_cost / cost label",
                     "Left: every program's latency pooled over the suite. Middle: how far apart the fastest and "
                     "slowest program of one task are. Right: TenSet's per-task label min_cost / cost, which "
                     "removes the task scale a global normalization leaves in."),
    ]
