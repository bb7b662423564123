"""Search curves over seeds: per network and model, the median and [min, max] band over the seeds of the
latency relative to the same seed's stock final latency (1.0 = where stock ends), against search seconds
and against trials. Each seed's curve is compared with its own stock run, so seeds with different absolute
latencies combine; a seed counts at a point only once its curve has started there."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from tircost_bench.search.assemble import STOCK
from tircost_bench.search.curves import Curve
from tircost_bench.search.output import save_figure
from tircost_bench.search.result import SearchResult


def _step_values(xs: list[float], ys: list[float], grid: np.ndarray) -> np.ndarray:
    """The step curve (xs, ys) read at every grid point; NaN before its first point."""
    out = np.full(grid.shape, np.nan)
    if xs:
        idx = np.searchsorted(np.asarray(xs), grid, side="right") - 1
        ok = idx >= 0
        out[ok] = np.asarray(ys)[idx[ok]]
    return out


def relative_curves(results: Iterable[SearchResult]) -> dict[str, dict[str, list[tuple[Curve, float]]]]:
    """network -> model -> [(curve, that seed's stock final latency)], one entry per (seed, model) run;
    a stock run shared by several results is taken once a seed."""
    out: dict[str, dict[str, list[tuple[Curve, float]]]] = {}
    seen: set[tuple] = set()
    for res in results:
        for nid, net in res.networks.items():
            stock = res.finished_reference(nid)
            if stock is None or not stock.final:
                continue
            for model, curve in net.curves.items():
                info = res.models[model]
                if not info.complete or not curve.latency:
                    continue
                name = model if info.kind == "reference" else f"{res.name} {res.submission['version']}"
                key = (nid, name, res.seed)
                if key not in seen:
                    seen.add(key)
                    out.setdefault(nid, {}).setdefault(name, []).append((curve, stock.final))
    return out


def plot_seed_bands(results: Iterable[SearchResult], out_dir: Path, prefix: str = "search") -> list[Path]:
    """One PNG per network (PREFIX-NETWORK-seeds.png): median and band over seeds, vs seconds and vs trials."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for nid, models in sorted(relative_curves(list(results)).items()):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        for ax, axis, label in ((axes[0], "seconds", "search seconds"), (axes[1], "trials", "trials")):
            end = max(max(getattr(c, axis)) for runs in models.values() for c, _ in runs)
            grid = np.linspace(0.0, end, 300)
            for model, runs in sorted(models.items(), key=lambda kv: (kv[0] != STOCK, kv[0])):
                rel = np.vstack([_step_values(list(getattr(c, axis)), [y / ref for y in c.latency], grid)
                                 for c, ref in runs])
                enough = (~np.isnan(rel)).sum(axis=0) == len(runs)  # every seed has started
                if not enough.any():
                    continue
                med = np.nanmedian(rel[:, enough], axis=0)
                line = ax.plot(grid[enough], med, lw=2.0 if model != STOCK else 1.4,
                               label=f"{model} (median of {len(runs)})")[0]
                ax.fill_between(grid[enough], rel[:, enough].min(axis=0), rel[:, enough].max(axis=0),
                                color=line.get_color(), alpha=0.15, lw=0)
            ax.axhline(1.0, color="grey", ls=":", lw=1)
            ax.set_xlabel(label)
            ax.set_ylabel("latency / same seed's stock final")
            ax.grid(alpha=0.3)
        axes[1].legend(fontsize=8)
        fig.suptitle(f"{nid}: median and [min, max] over seeds")
        paths.append(save_figure(fig, out_dir / f"{prefix}-{nid.replace('[', '-').replace(']', '')}-seeds.png"))
    return paths
