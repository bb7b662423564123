"""The shipped suites are what their manifests say: counts, splits and held-out networks recomputed from the data."""

from __future__ import annotations

from collections import Counter

import pytest

from tircost_bench.collect.pack import task_size_counts
from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.suite.catalog import describe
from tircost_bench.suite.loader import load_suite
from tircost_bench.suite.splits import base_network

SHIPPED = sorted(p.parent.name for p in (PROJECT_ROOT / "suites").glob("*/manifest.json"))


@pytest.mark.parametrize("name", SHIPPED)
def test_manifest_counts_match_the_data(name):
    suite = load_suite(name)  # verifies every file's sha256 too (memoized: loaded once per session)
    counts = suite.manifest.counts
    ok_per_task = Counter(m.task_id for m in suite.measurements if m.ok)
    assert not suite.skipped
    assert counts["records"] == len(suite.programs) == sum(ok_per_task.values())
    assert counts["failed"] == sum(not m.ok for m in suite.measurements)
    assert counts["tasks"] == len(suite.tasks) == len(ok_per_task)
    if "programs_per_task_min" in counts:  # suites packed before these counts existed lack them
        assert {k: counts[k] for k in task_size_counts(ok_per_task)} == task_size_counts(ok_per_task)
    for split, declared in suite.manifest.splits.items():
        assert declared.tasks == len(suite.split_tasks[split])
        assert declared.records == sum(ok_per_task[t] for t in suite.split_tasks[split])
    # Whole networks are held out: a test task is used by a held-out network, no train/val task is.
    held_out = set(suite.manifest.held_out_networks)
    for split, tasks in suite.split_tasks.items():
        for t in tasks:
            uses_held_out = any(base_network(u.network) in held_out for u in suite.tasks[t].uses)
            assert uses_held_out == (split == "test"), f"{name}: {t} in {split}"


def test_the_h100_suite_has_the_size_the_benchmark_promises():
    """TenSet-sized: >= 300 tasks of >= 100 measured programs, >= 15 networks, >= 30k records, an H100 named."""
    if "h100" not in SHIPPED:
        pytest.skip("suites/h100 is not in this checkout")
    info = describe(load_suite("h100").manifest)
    assert info["tasks_with_100_programs"] >= 300 and info["records"] >= 30_000
    assert len(info["networks"]) >= 15
    assert "H100" in info["platform"]["gpu"] and info["platform"]["cuda"] and info["platform"]["driver"]
    assert info["target"]["kind"] == "cuda" and info["target"]["arch"] == "sm_90"
