"""Operator families (TaskInfo.op_family): tasks, measured programs and latency per family."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from tircost_bench.report.common import ReportFigure, empty_note, family_colors, new_figure, save
from tircost_bench.report.data import ReportData


def family_table(data: ReportData) -> list[tuple[str, int, int]]:
    """(family, tasks, measured programs), most tasks first."""
    tasks = Counter(info.op_family for info in data.tasks.values())
    records: Counter = Counter()
    for t, info in data.tasks.items():
        records[info.op_family] += int(data.latencies.get(t, np.zeros(0)).size)
    return sorted(((f, tasks[f], records[f]) for f in tasks), key=lambda r: (-r[1], r[0]))


def draw_family_counts(ax, data: ReportData) -> None:  # type: ignore[no-untyped-def]
    rows = family_table(data)
    if not rows:
        empty_note(ax)
        return
    colors = family_colors([r[0] for r in rows])
    pos = np.arange(len(rows))
    n_tasks = np.array([r[1] for r in rows])
    ax.barh(pos, n_tasks, color=[colors[r[0]] for r in rows])
    for p, (_, nt, nr) in zip(pos, rows):
        ax.annotate(f" {nt} tasks / {nr} programs", (nt, p), va="center", fontsize=8)
    ax.set_yticks(pos)
    ax.set_yticklabels([r[0] for r in rows], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("tasks")
    ax.margins(x=0.45)
    ax.set_title("tasks (and measured programs) per operator family", fontsize=10)


def render(data: ReportData, out_dir: Path) -> list[ReportFigure]:
    rows = family_table(data)
    fig = new_figure(13.0, max(3.5, 0.38 * len(rows) + 1.5))
    a1, a2 = fig.subplots(1, 2)
    draw_family_counts(a1, data)
    # Latency per family: the best program of each task (what a tuner would deploy), on a log scale.
    fams = [r[0] for r in rows]
    best = {f: [float(data.latencies[t].min()) for t, info in data.tasks.items()
                if info.op_family == f and data.latencies.get(t, np.zeros(0)).size] for f in fams}
    fams = [f for f in fams if best[f]]
    if fams:
        colors = family_colors([r[0] for r in rows])
        box = a2.boxplot([np.log10(best[f]) for f in fams], positions=np.arange(len(fams)),
                         orientation="horizontal",
                         widths=0.6, patch_artist=True, showfliers=False, whis=(0, 100),
                         medianprops={"color": "black"})
        for patch, f in zip(box["boxes"], fams):
            patch.set_facecolor(colors[f])
            patch.set_alpha(0.6)
        for i, f in enumerate(fams):
            a2.scatter(np.log10(best[f]), np.full(len(best[f]), i), s=6, color="black", alpha=0.5, zorder=3)
        a2.set_yticks(np.arange(len(fams)))
        a2.set_yticklabels(fams, fontsize=9)
        a2.invert_yaxis()
        a2.set_xlabel("log10 best latency of a task (s)")
    else:
        empty_note(a2)
    a2.set_title("best latency of each task per family", fontsize=10)
    save(fig, out_dir, "op_families.png")
    return [ReportFigure(
        "op_families.png", "Operator families",
        "Left: tasks and measured programs per operator family (from the task's main operator: conv2d, "
        "depthwise, dense/matmul, pooling, softmax, norm, elementwise...). Right: the fastest measured program "
        "of each task, per family (dots: tasks).")]
