"""What the report plots, gathered once from a suite: latencies, statuses, noise, networks, families, splits.

Everything here is plain numpy / dicts, so each figure module only draws. Test-split latencies are read
straight from the suite's measurements: the report describes the data, it never scores a model.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tircost_bench.metrics.ranking import NOISE_BAND
from tircost_bench.records import FAILURE_KINDS, STATUS_OK, TaskInfo
from tircost_bench.suite.files import SUITE_FILES
from tircost_bench.suite.loader import Suite
from tircost_bench.suite.splits import SPLITS, base_network

# A global z-score puts this share of programs within |z| < Z_NEAR_ZERO (prior-art.md's defect).
Z_NEAR_ZERO = 0.2
SAMPLING_KINDS = ("invalid", "duplicate")  # rejected before measurement (sampling.json)


def noise_band_share(lat: np.ndarray, band: float = NOISE_BAND) -> float:
    """Share of a task's program pairs closer than the pairwise metric's noise band (left out of it)."""
    x = np.sort(np.asarray(lat, dtype=np.float64))
    n = x.size
    if n < 2:
        return float("nan")
    # Sorted ascending, pair (i, j>i) is noise iff x_j <= (1 + band) * x_i: count with a search per row.
    ends = np.searchsorted(x, x * (1.0 + band), side="right")
    close = int(np.sum(np.maximum(ends - np.arange(n) - 1, 0)))
    return close / (n * (n - 1) / 2)


def zscores(lat: np.ndarray) -> np.ndarray:
    sd = float(np.std(lat))
    return (lat - float(np.mean(lat))) / sd if sd > 0 else np.zeros_like(lat)


@dataclass
class ReportData:
    suite: str
    version: str
    sha256: str
    platform: dict[str, Any]
    held_out: list[str]
    tasks: dict[str, TaskInfo]
    latencies: dict[str, np.ndarray]  # task -> mean latency (s) of each successful program
    status: dict[str, Counter]  # task -> measured statuses (ok + FAILURE_KINDS)
    sampling: dict[str, dict[str, int]]  # task -> {tried, invalid, duplicate}
    noise_cv: np.ndarray  # per successful record with 2+ repeats
    cv_latency: np.ndarray  # the latency of each record in noise_cv
    split_of: dict[str, str]  # task -> train / val / test
    skipped: int = 0  # corrupt records the loader reported
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ---- derived views -------------------------------------------------------------------------
    @property
    def measured_tasks(self) -> list[str]:
        """Tasks with 1+ successful program, sorted by median latency (fastest first)."""
        ids = [t for t, lat in self.latencies.items() if lat.size]
        return sorted(ids, key=lambda t: (float(np.median(self.latencies[t])), t))

    @property
    def all_latencies(self) -> np.ndarray:
        if "all" not in self._cache:
            arrs = [self.latencies[t] for t in self.measured_tasks]
            self._cache["all"] = np.concatenate(arrs) if arrs else np.zeros(0)
        return self._cache["all"]

    def networks(self) -> list[str]:
        """Network ids (with batch) in the order of their base name, held-out ones last."""
        nets = {u.network for t in self.tasks.values() for u in t.uses}
        return sorted(nets, key=lambda n: (base_network(n) in self.held_out, n))

    def tasks_of_network(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {n: set() for n in self.networks()}
        for tid, info in self.tasks.items():
            for u in info.uses:
                out[u.network].add(tid)
        return out

    def counts_of(self, task_ids: set[str] | list[str]) -> Counter:
        """Programs by outcome over some tasks: ok, FAILURE_KINDS, and the sampling rejections."""
        c: Counter = Counter()
        for t in task_ids:
            c.update(self.status.get(t, Counter()))
            s = self.sampling.get(t, {})
            for k in SAMPLING_KINDS:
                c[k] += int(s.get(k, 0))
        return c

    def global_and_task_z(self) -> tuple[np.ndarray, np.ndarray]:
        """z of every successful program against all tasks at once, and against its own task."""
        per_task = [zscores(self.latencies[t]) for t in self.measured_tasks]
        return zscores(self.all_latencies), (np.concatenate(per_task) if per_task else np.zeros(0))

    def min_cost_ratio(self) -> np.ndarray:
        """TenSet's label y = min_cost / cost per program (1 = the task's best)."""
        parts = [lat.min() / lat for t in self.measured_tasks if (lat := self.latencies[t]).size]
        return np.concatenate(parts) if parts else np.zeros(0)

    def noise_shares(self) -> dict[str, float]:
        """Per task (2+ programs): share of pairs within the NOISE_BAND."""
        return {t: noise_band_share(self.latencies[t]) for t in self.measured_tasks if self.latencies[t].size >= 2}

    def summary(self) -> dict[str, Any]:
        """The numbers the text summary, the HTML table and MLflow share."""
        if "summary" in self._cache:
            return self._cache["summary"]
        lat = self.all_latencies
        total = self.counts_of(list(self.tasks))
        measured = total[STATUS_OK] + sum(total[k] for k in FAILURE_KINDS)
        failed = sum(total[k] for k in FAILURE_KINDS)
        tried = sum(int(s.get("tried", 0)) for s in self.sampling.values())
        spreads = [np.log10(self.latencies[t].max() / self.latencies[t].min())
                   for t in self.measured_tasks if self.latencies[t].size >= 2]
        gz, tz = self.global_and_task_z()
        shares = self.noise_shares()
        splits = {s: [t for t, sp in self.split_of.items() if sp == s] for s in SPLITS}
        out = {
            "suite": self.suite, "version": self.version, "sha256": self.sha256,
            "tasks": len(self.tasks), "networks": len(self.networks()),
            "records_ok": int(total[STATUS_OK]), "records_measured": int(measured), "failed": int(failed),
            **{f"failed_{k}": int(total[k]) for k in FAILURE_KINDS},
            "failure_share": failed / measured if measured else float("nan"),
            "sampling_tried": tried, **{f"sampling_{k}": int(total[k]) for k in SAMPLING_KINDS},
            "sampling_invalid_share": total["invalid"] / tried if tried else float("nan"),
            "latency_min_s": float(lat.min()) if lat.size else float("nan"),
            "latency_max_s": float(lat.max()) if lat.size else float("nan"),
            "latency_orders": float(np.log10(lat.max() / lat.min())) if lat.size else float("nan"),
            "task_median_orders": float(np.log10(np.max([np.median(self.latencies[t]) for t in self.measured_tasks])
                                                 / np.min([np.median(self.latencies[t]) for t in self.measured_tasks])))
            if lat.size else float("nan"),
            "within_task_orders_median": float(np.median(spreads)) if spreads else float("nan"),
            "noise_cv_median": float(np.median(self.noise_cv)) if self.noise_cv.size else float("nan"),
            "noise_cv_p90": float(np.percentile(self.noise_cv, 90)) if self.noise_cv.size else float("nan"),
            "noise_cv_over_band_share": float(np.mean(self.noise_cv > NOISE_BAND)) if self.noise_cv.size
            else float("nan"),
            "noise_band": NOISE_BAND,
            "noise_band_pair_share": _pooled_share(self, shares, NOISE_BAND),
            "noise_band_pair_share_task_median": float(np.median(list(shares.values()))) if shares else float("nan"),
            # The same share with a band as wide as the suite's median repeat noise: pairs the data cannot order.
            "noise_level_pair_share": _pooled_share(self, shares, float(np.median(self.noise_cv)))
            if self.noise_cv.size and shares else float("nan"),
            "global_z_near_zero_share": float(np.mean(np.abs(gz) < Z_NEAR_ZERO)) if gz.size else float("nan"),
            "task_z_near_zero_share": float(np.mean(np.abs(tz) < Z_NEAR_ZERO)) if tz.size else float("nan"),
            **{f"split_{s}_tasks": len(v) for s, v in splits.items()},
            **{f"split_{s}_records": int(sum(self.latencies.get(t, np.zeros(0)).size for t in v))
               for s, v in splits.items()},
        }
        self._cache["summary"] = out
        return out


def _pooled_share(data: ReportData, tasks: dict[str, float], band: float) -> float:
    """Share of all same-task pairs (pooled over tasks) within a relative `band` of each other."""
    close = pairs = 0.0
    for t in tasks:
        n = data.latencies[t].size
        close += noise_band_share(data.latencies[t], band) * n * (n - 1) / 2
        pairs += n * (n - 1) / 2
    return close / pairs if pairs else float("nan")


def gather(suite: Suite) -> ReportData:
    """Collect what the figures need from a loaded suite (every record, failed ones included)."""
    lat: dict[str, list[float]] = {t: [] for t in suite.tasks}
    status: dict[str, Counter] = {t: Counter() for t in suite.tasks}
    cvs: list[float] = []
    cv_lat: list[float] = []
    for m in suite.measurements:
        status.setdefault(m.task_id, Counter())[m.status] += 1
        if m.ok and m.run_secs:
            value = m.latency
            if np.isfinite(value) and value > 0:
                lat.setdefault(m.task_id, []).append(value)
            cv = m.noise_cv
            if np.isfinite(cv) and np.isfinite(value) and value > 0:
                cvs.append(cv)
                cv_lat.append(value)
    sampling_file = suite.path / SUITE_FILES["sampling"]
    sampling = json.loads(sampling_file.read_text()) if sampling_file.exists() else {}
    split_of = {t: s for s, ids in suite.split_tasks.items() for t in ids}
    m = suite.manifest
    return ReportData(
        suite=m.suite, version=m.version, sha256=m.sha256, platform=dict(m.platform),
        held_out=list(m.held_out_networks), tasks=dict(suite.tasks),
        latencies={t: np.asarray(v, dtype=np.float64) for t, v in lat.items()},
        status=status, sampling=sampling, noise_cv=np.asarray(cvs, dtype=np.float64),
        cv_latency=np.asarray(cv_lat, dtype=np.float64), split_of=split_of,
        skipped=len(getattr(suite, "skipped", [])),
    )


def summary_text(s: dict[str, Any]) -> str:
    """A few lines of findings for the notes."""
    def pct(x: float) -> str:
        return "n/a" if not np.isfinite(x) else f"{100 * x:.1f}%"

    kinds = ", ".join(f"{k} {s[f'failed_{k}']}" for k in FAILURE_KINDS)
    return "\n".join([
        (f"suite {s['suite']} v{s['version']} ({s['sha256'][:12]}): {s['tasks']} tasks from {s['networks']} networks, "
        f"{s['records_ok']} measured programs."),
        (f"- latency spread: {s['latency_orders']:.1f} orders of magnitude over the suite "
        f"({s['latency_min_s']:.2e} s .. {s['latency_max_s']:.2e} s); task medians span {s['task_median_orders']:.1f}; "
        f"within one task the median spread is {s['within_task_orders_median']:.2f} orders."),
        (f"- global z-score: {pct(s['global_z_near_zero_share'])} of programs within |z|<{Z_NEAR_ZERO} "
        f"(per-task z-score: {pct(s['task_z_near_zero_share'])})."),
        (f"- noise: median repeat CV {pct(s['noise_cv_median'])} (p90 {pct(s['noise_cv_p90'])}; "
        f"{pct(s['noise_cv_over_band_share'])} of records above the {pct(s['noise_band'])} band); "
        f"{pct(s['noise_band_pair_share'])} of same-task pairs fall within the band (task median "
        f"{pct(s['noise_band_pair_share_task_median'])}) and are left out of pairwise accuracy; with a band as wide as "
        f"the median noise, {pct(s['noise_level_pair_share'])} of pairs would be."),
        (f"- failures: {pct(s['failure_share'])} of measured programs failed ({kinds}); sampling rejected "
        f"{s['sampling_invalid']} invalid and {s['sampling_duplicate']} duplicate of {s['sampling_tried']} tried "
        f"({pct(s['sampling_invalid_share'])} invalid)."),
        (f"- splits: train {s['split_train_tasks']} tasks / {s['split_train_records']} programs, val "
        f"{s['split_val_tasks']} / {s['split_val_records']}, test {s['split_test_tasks']} / {s['split_test_records']}."),
    ])
