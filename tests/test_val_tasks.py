"""tools/val_tasks.py: per-task val scores of submissions side by side, on the shipped cpu-epyc2 suite."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tircost_bench.suite.loader import load_suite

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import val_tasks


@pytest.fixture(scope="module")
def suite():
    return load_suite("cpu-epyc2")


def test_task_scores_see_the_true_order(suite) -> None:
    val = suite.labeled("val")
    perfect = val_tasks.task_scores(suite, val.latencies, val.latencies, val.task_ids)
    reverse = val_tasks.task_scores(suite, -val.latencies, val.latencies, val.task_ids)
    assert set(perfect) == {str(t) for t in np.unique(val.task_ids)}
    assert all(s["peak_score@1"] == pytest.approx(1.0) and s["top_k_recall@5"] == pytest.approx(1.0)
               for s in perfect.values())
    assert np.mean([s["pairwise_accuracy"] for s in reverse.values()]) < 0.05


def test_report_orders_tasks_by_the_peak_gap(tmp_path: Path) -> None:
    out = tmp_path / "val.json"
    report = val_tasks.main([str(ROOT / "baselines/roofline"), str(ROOT / "baselines/random"),
                             "--suite", "cpu-epyc2", "--seeds", "0", "--json-out", str(out)])
    tasks = report["tasks"]
    gaps = [t["roofline"]["peak_score@1"] - t["random"]["peak_score@1"] for t in tasks.values()]
    assert gaps == sorted(gaps) and out.is_file()
    means = report["mean_over_tasks"]["roofline"]
    assert means["pairwise_accuracy"] == pytest.approx(
        np.mean([t["roofline"]["pairwise_accuracy"] for t in tasks.values()]))
