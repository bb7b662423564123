"""Measurement noise: each record's repeat CV, and the pairs the pairwise metric leaves out as noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tircost_bench.metrics.ranking import NOISE_BAND
from tircost_bench.report.common import ReportFigure, empty_note, new_figure, save
from tircost_bench.report.data import ReportData


def draw_cv_histogram(ax, data: ReportData) -> None:  # type: ignore[no-untyped-def]
    cv = data.noise_cv
    if not cv.size:
        empty_note(ax, "no record with 2+ repeats")
        return
    floor = 1e-5
    x = np.log10(np.maximum(cv, floor))
    ax.hist(x, bins=50, color="#4c72b0")
    med = float(np.median(cv))
    ax.axvline(np.log10(max(med, floor)), color="black", ls="--", lw=1, label=f"median {100 * med:.2f}%")
    ax.axvline(np.log10(NOISE_BAND), color="#c44e52", lw=1.5,
               label=f"noise band {100 * NOISE_BAND:g}% ({100 * np.mean(cv > NOISE_BAND):.0f}% of records above)")
    ticks = np.arange(np.floor(x.min()), np.ceil(x.max()) + 1)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{100 * 10.0**t:g}%" for t in ticks])
    ax.set_xlabel("CV of a record's repeats (log scale)")
    ax.set_ylabel("records")
    ax.legend(fontsize=8)
    ax.set_title("repeat noise per record", fontsize=10)


def draw_band_share(ax, data: ReportData) -> None:  # type: ignore[no-untyped-def]
    shares = data.noise_shares()
    if not shares:
        empty_note(ax, "no task with 2+ programs")
        return
    tasks = sorted(shares, key=lambda t: -shares[t])
    vals = np.array([shares[t] for t in tasks])
    ax.bar(np.arange(len(vals)), 100 * vals, width=1.0, color="#dd8452", linewidth=0)
    overall = data.summary()["noise_band_pair_share"]
    ax.axhline(100 * overall, color="black", ls="--", lw=1, label=f"all pairs: {100 * overall:.1f}%")
    ax.set_xlim(-0.5, len(vals) - 0.5)
    ax.set_xlabel("task (sorted)")
    ax.set_ylabel(f"% of pairs within {100 * NOISE_BAND:g}%")
    ax.legend(fontsize=8)
    ax.set_title("pairs left out of pairwise accuracy as noise", fontsize=10)


def render(data: ReportData, out_dir: Path) -> list[ReportFigure]:
    fig = new_figure(15.0, 4.2)
    a1, a2, a3 = fig.subplots(1, 3)
    draw_cv_histogram(a1, data)
    draw_band_share(a2, data)
    # Is noise worse for fast programs? Each record's CV against its latency.
    if data.noise_cv.size:
        x, y = np.log10(data.cv_latency), np.log10(np.maximum(data.noise_cv, 1e-5))
        a3.scatter(x, y, s=3, alpha=0.35, color="#55a868", linewidths=0)
        a3.axhline(np.log10(NOISE_BAND), color="#c44e52", lw=1.5)
        yt = np.arange(np.floor(y.min()), np.ceil(y.max()) + 1)
        a3.set_yticks(yt)
        a3.set_yticklabels([f"{100 * 10.0**t:g}%" for t in yt])
        a3.set_xlabel("log10 latency (s)")
        a3.set_ylabel("repeat CV")
    else:
        empty_note(a3)
    a3.set_title("noise against latency", fontsize=10)
    save(fig, out_dir, "noise.png")
    return [ReportFigure(
        "noise.png", "Measurement noise",
        f"Left: coefficient of variation of each measured program's timed repeats. Middle: per task, the share of "
        f"program pairs whose latencies differ by at most {100 * NOISE_BAND:g}% of the faster one; pairwise "
        f"accuracy ignores them (NOISE_BAND). Right: repeat CV against latency, per record.")]

