"""Diagnostic plots of one seed: predicted vs measured latency, and the mean peak score@k curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tircost_bench.metrics import peak_score

K_MAX = 32


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # headless: never open a window, never need a display
    import matplotlib.pyplot as plt

    return plt


def peak_curve(task_ids: np.ndarray, measured: np.ndarray, predicted: np.ndarray, k_max: int = K_MAX) -> np.ndarray:
    """Mean over tasks of peak_score@k for k = 1..k_max."""
    tasks = list(dict.fromkeys(task_ids.tolist()))
    curve = np.zeros(k_max)
    for tid in tasks:
        sel = task_ids == tid
        curve += [peak_score(measured[sel], predicted[sel], k) for k in range(1, k_max + 1)]
    return curve / max(len(tasks), 1)


def plot_seed(task_ids: np.ndarray, measured: np.ndarray, predicted: np.ndarray, out_dir: Path,
              title: str) -> list[Path]:
    """Write scatter.png and peak_at_k.png into out_dir; returns their paths."""
    plt = _pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = list(dict.fromkeys(task_ids.tolist()))
    cmap = plt.get_cmap("tab10")  # distinct neighbours; colours repeat after 10 tasks

    fig, ax = plt.subplots(figsize=(6, 5))
    for i, tid in enumerate(tasks):
        sel = task_ids == tid
        ax.scatter(measured[sel], predicted[sel], s=8, alpha=0.7, color=cmap(i % 10),
                   label=tid if len(tasks) <= 12 else None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("measured latency (s)")
    ax.set_ylabel("predicted latency (s)")
    ax.set_title(f"{title}\n{len(tasks)} tasks, {measured.size} programs", fontsize=9)
    if len(tasks) <= 12:
        ax.legend(fontsize=5, loc="best")
    fig.tight_layout()
    scatter = out_dir / "scatter.png"
    fig.savefig(scatter, dpi=110)
    plt.close(fig)

    ks = np.arange(1, K_MAX + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ks, peak_curve(task_ids, measured, predicted), marker="o", ms=3)
    ax.set_xlabel("k (programs measured from the model's top-k)")
    ax.set_ylabel("mean peak score@k")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    curve = out_dir / "peak_at_k.png"
    fig.savefig(curve, dpi=110)
    plt.close(fig)
    return [scatter, curve]
