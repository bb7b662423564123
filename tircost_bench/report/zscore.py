"""Why one global z-score fails: latencies over several orders of magnitude squeeze most programs near 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tircost_bench.report.common import ReportFigure, empty_note, new_figure, save
from tircost_bench.report.data import Z_NEAR_ZERO, ReportData

_RANGE = 3.0  # x range of both histograms; values beyond land in the edge bins (counted in the note)


def _hist(ax, z: np.ndarray, title: str, color: str) -> None:  # type: ignore[no-untyped-def]
    if not z.size:
        empty_note(ax)
        return
    bins = np.linspace(-_RANGE, _RANGE, 61)
    ax.hist(np.clip(z, -_RANGE, _RANGE), bins=bins, color=color)
    ax.axvspan(-Z_NEAR_ZERO, Z_NEAR_ZERO, color="#f2c14e", alpha=0.35, lw=0)
    near = float(np.mean(np.abs(z) < Z_NEAR_ZERO))
    out = int(np.sum(np.abs(z) > _RANGE))
    note = f"{100 * near:.0f}% within |z| < {Z_NEAR_ZERO}"
    if out:
        note += f"\n{out} beyond ±{_RANGE:g} (edge bins)"
    ax.text(0.98, 0.95, note, transform=ax.transAxes, ha="right", va="top", fontsize=9,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#999"})
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("z")
    ax.set_ylabel("programs")


def draw_z_pair(ax_global, ax_task, data: ReportData) -> None:  # type: ignore[no-untyped-def]
    gz, tz = data.global_and_task_z()
    _hist(ax_global, gz, "one global z-score over all tasks", "#c44e52")
    _hist(ax_task, tz, "z-score within each task", "#4c72b0")


def render(data: ReportData, out_dir: Path) -> list[ReportFigure]:
    fig = new_figure(15.0, 4.2)
    a1, a2, a3 = fig.subplots(1, 3)
    draw_z_pair(a1, a2, data)
    # Per task: the spread its programs keep under the global z (max z - min z): 0 = indistinguishable.
    tasks = data.measured_tasks
    lat = data.all_latencies
    if tasks and lat.size and np.std(lat) > 0:
        mu, sd = float(np.mean(lat)), float(np.std(lat))
        width = np.array([(data.latencies[t].max() - data.latencies[t].min()) / sd for t in tasks])
        squeezed = int(np.sum(width < 2 * Z_NEAR_ZERO))
        a3.hist(np.log10(np.maximum(width, 1e-6)), bins=40, color="#8172b2")
        a3.axvline(np.log10(2 * Z_NEAR_ZERO), color="black", ls="--", lw=1)
        a3.text(0.02, 0.95, f"{squeezed} of {len(tasks)} tasks span < {2 * Z_NEAR_ZERO:g}\nin global z "
                f"(mean {mu:.2e} s, sd {sd:.2e} s)", transform=a3.transAxes, va="top", fontsize=9,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#999"})
        a3.set_xlabel("log10 (max z - min z) of a task under the global z")
        a3.set_ylabel("tasks")
    else:
        empty_note(a3)
    a3.set_title("a task's whole range under the global z-score", fontsize=10)
    save(fig, out_dir, "zscore.png")
    return [ReportFigure(
        "zscore.png", "Global vs per-task z-score",
        "Left: z = (latency - mean) / sd over every program of the suite, the starting point's normalization; "
        "the few slowest tasks set the sd, so most programs land near 0 (shaded: |z| < 0.2) and a constant "
        "predictor looks good. Middle: the same programs normalized within their own task. Right: how wide each "
        "task's whole range is under the global z-score.")]
