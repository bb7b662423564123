"""Coverage figures: valid and failed programs per task and network, tasks per network, shared tasks, splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from tircost_bench.records import FAILURE_KINDS, STATUS_OK
from tircost_bench.report.common import (
    OUTCOME_COLORS,
    OUTCOME_LABELS,
    ReportFigure,
    bars,
    empty_note,
    new_figure,
    save,
)
from tircost_bench.report.data import SAMPLING_KINDS, ReportData
from tircost_bench.suite.splits import SPLITS, base_network

OUTCOMES = (STATUS_OK, *FAILURE_KINDS, *SAMPLING_KINDS)
_SPLIT_COLORS = {"train": "#4c72b0", "val": "#dd8452", "test": "#c44e52"}


def _stack(ax, labels: list[str], counts: list, horizontal: bool) -> list[Patch]:  # type: ignore[no-untyped-def]
    """Stacked bars of outcome counts; returns the legend proxies (collections carry no legend entry)."""
    pos = np.arange(len(labels))
    base = np.zeros(len(labels))
    handles = []
    for kind in OUTCOMES:
        vals = np.array([c[kind] for c in counts], dtype=float)
        if not vals.any() and kind in SAMPLING_KINDS:
            continue  # failure kinds stay in the legend even at 0: "none failed" is a finding too
        bars(ax, pos, base, vals, OUTCOME_COLORS[kind], width=0.8 if horizontal else 0.9, horizontal=horizontal)
        handles.append(Patch(facecolor=OUTCOME_COLORS[kind], label=OUTCOME_LABELS[kind]))
        base += vals
    top = 1.03 * max(float(base.max()), 1.0)
    if horizontal:
        ax.set_xlim(0, top)
    else:
        ax.set_ylim(0, top)
    return handles


def draw_network_outcomes(ax, data: ReportData, legend: bool = True) -> list[Patch]:  # type: ignore[no-untyped-def]
    by_net = data.tasks_of_network()
    nets = list(by_net)
    if not nets:
        empty_note(ax)
        return []
    counts = [data.counts_of(by_net[n]) for n in nets]
    handles = _stack(ax, [_net_label(data, n) for n in nets], counts, horizontal=True)
    ax.set_yticks(np.arange(len(nets)))
    ax.set_yticklabels([_net_label(data, n) for n in nets], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("programs (shared tasks count in each network)")
    if legend:
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return handles


def _net_label(data: ReportData, net: str) -> str:
    return f"{net} *" if base_network(net) in data.held_out else net


def render_outcomes(data: ReportData, out_dir: Path) -> ReportFigure:
    tasks = list(data.tasks)
    counts = {t: data.counts_of([t]) for t in tasks}
    # Most failures first, then by valid programs: the problem tasks come first.
    order = sorted(tasks, key=lambda t: (-sum(counts[t][k] for k in FAILURE_KINDS), -counts[t][STATUS_OK], t))
    fig = new_figure(min(18.0, max(9.0, 0.06 * len(tasks) + 6)), 9.0)
    a1, a2 = fig.subplots(2, 1, height_ratios=[1, 1.3])
    if order:
        handles = _stack(a1, order, [counts[t] for t in order], horizontal=False)
        a1.set_xlim(-1, len(order))
        step = max(1, len(order) // 10)
        a1.set_xticks(np.arange(0, len(order), step))
        a1.set_xticklabels([str(i + 1) for i in range(0, len(order), step)])
        a1.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        empty_note(a1)
    a1.set_xlabel("task (most failures first)")
    a1.set_ylabel("programs")
    a1.set_title("programs per task by outcome", fontsize=10)
    draw_network_outcomes(a2, data)
    a2.set_title("programs per network by outcome (* held-out network: test split)", fontsize=10)
    save(fig, out_dir, "outcomes.png")
    return ReportFigure(
        "outcomes.png", "Valid and failed programs",
        "Top: every task's sampled programs by outcome: measured (valid), failed at build, at run time or by "
        "timeout, and those rejected before measurement (invalid schedules, duplicates of a measured program). "
        "Bottom: the same per network.")


def render_networks(data: ReportData, out_dir: Path) -> ReportFigure:
    by_net = data.tasks_of_network()
    nets = list(by_net)
    n = len(nets)
    fig = new_figure(max(10.0, 0.45 * n + 7.5), max(4.5, 0.32 * n + 2.0))
    a1, a2 = fig.subplots(1, 2, width_ratios=[1, 1.6])
    if not nets:
        empty_note(a1)
        empty_note(a2)
    else:
        n_nets = {t: len({u.network for u in info.uses}) for t, info in data.tasks.items()}
        own = np.array([sum(n_nets[t] == 1 for t in by_net[x]) for x in nets])
        shared = np.array([len(by_net[x]) for x in nets]) - own
        pos = np.arange(n)
        a1.barh(pos, own, color="#4c72b0", label="only in this network")
        a1.barh(pos, shared, left=own, color="#8fb3de", label="shared with another network")
        a1.set_yticks(pos)
        a1.set_yticklabels([_net_label(data, x) for x in nets], fontsize=8)
        a1.invert_yaxis()
        a1.set_xlabel("tasks")
        a1.legend(fontsize=7, loc="lower right")
        mat = np.array([[len(by_net[a] & by_net[b]) for b in nets] for a in nets], dtype=float)
        off = mat.copy()
        np.fill_diagonal(off, np.nan)  # the diagonal (tasks per network) would swamp the color scale
        im = a2.imshow(off, cmap="Blues", vmin=0, vmax=max(1.0, float(np.nanmax(off)) if n > 1 else 1.0))
        for i in range(n):
            for j in range(n):
                v = int(mat[i, j])
                if v or i == j:
                    a2.text(j, i, str(v), ha="center", va="center", fontsize=6,
                            color="#555" if i == j else ("white" if v > 0.6 * np.nanmax(off) else "black"),
                            fontweight="bold" if i == j else "normal")
        a2.set_xticks(pos)
        a2.set_xticklabels([_net_label(data, x) for x in nets], rotation=70, ha="right", fontsize=7)
        a2.set_yticks(pos)
        a2.set_yticklabels([_net_label(data, x) for x in nets], fontsize=7)
        fig.colorbar(im, ax=a2, shrink=0.7, label="shared tasks")
    a1.set_title("tasks per network", fontsize=10)
    a2.set_title("tasks shared between networks (diagonal: the network's tasks)", fontsize=10)
    save(fig, out_dir, "networks.png")
    return ReportFigure(
        "networks.png", "Tasks per network and shared tasks",
        "Left: tasks per network, split into those no other network has and those it shares. Right: how many "
        "tasks two networks have in common (* held-out network; all its tasks go to the test split, shared ones "
        "included).")


def render_splits(data: ReportData, out_dir: Path) -> ReportFigure:
    s = data.summary()
    fig = new_figure(9.0, 3.6)
    a1, a2 = fig.subplots(1, 2)
    for ax, what in ((a1, "tasks"), (a2, "records")):
        vals = [s[f"split_{sp}_{what}"] for sp in SPLITS]
        bars = ax.bar(SPLITS, vals, color=[_SPLIT_COLORS[sp] for sp in SPLITS])
        for b, v in zip(bars, vals):
            ax.annotate(str(v), (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=9)
        ax.set_title(f"{'tasks' if what == 'tasks' else 'measured programs'} per split", fontsize=10)
        ax.margins(y=0.15)
    save(fig, out_dir, "splits.png")
    held = ", ".join(data.held_out) or "none"
    return ReportFigure(
        "splits.png", "Split sizes",
        f"Task-level splits: test holds every task of the held-out networks ({held}); val is a fixed hashed 10% "
        f"of the rest; train the others.")


def render(data: ReportData, out_dir: Path) -> list[ReportFigure]:
    return [render_outcomes(data, out_dir), render_networks(data, out_dir), render_splits(data, out_dir)]
