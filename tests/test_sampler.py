"""The sampler's jobs of one round never build the same program twice (shared claims)."""

from __future__ import annotations

import shutil
from pathlib import Path


def _elementwise():
    import tvm
    from tvm import te

    a = te.placeholder((256, 512), name="A")
    b = te.compute((256, 512), lambda i, j: a[i, j] * 2.0 + 1.0, name="B")
    return tvm.IRModule({"main": te.create_prim_func([a, b])})


def test_jobs_of_a_round_build_each_program_once():
    from tircost_bench.collect.sampler import sample_and_build
    from tircost_bench.collect.targets import cuda_target

    # A CUDA elementwise task has a handful of programs (AutoBind's thread extents): without claims, every
    # job would return (and build) all of them. Sampling and VerifyGPUCode need no GPU; builds may fail here.
    mod, claims = _elementwise(), {}
    first = sample_and_build("ew", mod, cuda_target(), 1, 50, frozenset(), 3000, claims)
    second = sample_and_build("ew", mod, cuda_target(), 2, 50, frozenset(), 3000, claims)
    one, two = {p.mod_hash for p in first.programs}, {p.mod_hash for p in second.programs}
    assert 1 < len(one) < 50  # a small space, exhausted by the first job
    assert not one & two and second.duplicate > 0
    assert set(claims) == one | two and all(claims[h] == 1 for h in one)
    unclaimed = sample_and_build("ew", mod, cuda_target(), 3, 50, frozenset(), 3000)
    assert {p.mod_hash for p in unclaimed.programs} == one | two  # what a job finds on its own
    for batch in (first, second, unclaimed):
        for p in batch.programs:
            if p.artifact_path:
                shutil.rmtree(Path(p.artifact_path).parent, ignore_errors=True)



def _cpu_collector(work, task_id: str, mod, programs: int, job_size: int):  # type: ignore[no-untyped-def]
    """(a task, a one-worker llvm Collector measuring quickly into `work`)."""
    from types import SimpleNamespace

    from tircost_bench.collect.collector import CollectConfig, Collector
    from tircost_bench.collect.measure import MeasureSettings
    from tircost_bench.collect.targets import cpu_target

    config = CollectConfig(target=cpu_target(), programs_per_task=programs, workers=1, job_size=job_size,
                           measure=MeasureSettings(repeat=1, min_repeat_ms=1))
    return SimpleNamespace(info=SimpleNamespace(task_id=task_id, name=task_id), mod=mod), Collector(work, config)

def test_a_drawn_dry_task_is_not_sampled_again(tmp_path):
    """A round that draws only measured programs marks the task exhausted; a resumed run leaves it alone."""
    from tircost_bench.collect.task_store import TaskStore

    task, collector = _cpu_collector(tmp_path, "ew", _elementwise(), programs=40, job_size=40)
    try:
        first = collector.run([task])
        store = TaskStore(tmp_path, "ew")
        stats, measured = store.sampling_stats(), len(store.measurements())
        assert 0 < measured < 40 and first.measured + first.failed == measured  # the llvm space is small
        assert stats.exhausted and stats.duplicate > 0
        again = collector.run([task])
    finally:
        collector.close()
    assert again.measured == again.failed == 0
    assert TaskStore(tmp_path, "ew").sampling_stats() == stats  # nothing drawn on resume


def _matmul():
    import tvm
    from tvm import te

    a, b = te.placeholder((64, 64), name="A"), te.placeholder((64, 64), name="B")
    k = te.reduce_axis((0, 64), "k")
    c = te.compute((64, 64), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    return tvm.IRModule({"main": te.create_prim_func([a, b, c])})


def test_presampled_programs_are_measured_without_new_draws(tmp_path):
    """presample draws programs without building them; collect then replays, builds and measures exactly
    those (no draw), and a record whose replay gives another program is refused."""
    from tircost_bench.collect.sampler import sample_and_build
    from tircost_bench.collect.targets import cpu_target
    from tircost_bench.collect.task_store import TaskStore

    mod = _matmul()
    task, collector = _cpu_collector(tmp_path, "mm", mod, programs=6, job_size=3)
    try:
        drawn = collector.presample([task])
        store = TaskStore(tmp_path, "mm")
        presampled = store.presampled()
        assert drawn.programs == len(presampled) == 6 and drawn.tried >= 6
        assert not (store.dir / "measurements.jsonl").exists()  # nothing built or measured
        assert collector.presample([task]).programs == 0  # resumable: nothing left to draw
        summary = collector.run([task])
    finally:
        collector.close()
    store = TaskStore(tmp_path, "mm")
    assert {m.mod_hash for m in store.measurements()} == {h for _, h in presampled}
    assert summary.measured == 6 and store.sampling_stats().tried == drawn.tried  # the run drew nothing

    record, good = presampled[0]
    batch = sample_and_build("mm", mod, cpu_target(), 9, 2, frozenset(), 0,
                             presampled=[(record, "not-its-hash"), (record, good)], build=False)
    assert [p.mod_hash for p in batch.programs] == [good] and batch.invalid == 1 and batch.replayed == 2


def test_overlapped_run_mixes_presampled_and_fresh_tasks(tmp_path):
    """With overlap, presampled tasks alternate with fresh ones (the device measures the ones while the pool
    draws the others) and each batch is measured when ready: every task still gets its quota, once."""
    from tircost_bench.collect.collector import _interleave
    from tircost_bench.collect.task_store import TaskStore

    assert _interleave([1, 2, 3], ["a"]) == [1, "a", 2, 3] and _interleave([], ["a", "b"]) == ["a", "b"]
    fresh, collector = _cpu_collector(tmp_path, "fresh", _matmul(), programs=4, job_size=2)
    presampled, _ = _cpu_collector(tmp_path, "pre", _matmul(), programs=4, job_size=2)
    collector.config.overlap, collector.config.prefetch = True, 2
    try:
        collector.presample([presampled])
        drawn = TaskStore(tmp_path, "pre").sampling_stats().tried
        summary = collector.run([fresh, presampled])
    finally:
        collector.close()
    for task_id in ("fresh", "pre"):
        hashes = [m.mod_hash for m in TaskStore(tmp_path, task_id).measurements()]
        assert len(hashes) == len(set(hashes)) == 4
    assert summary.measured + summary.failed == 8
    assert TaskStore(tmp_path, "pre").sampling_stats().tried == drawn  # measured from its presampled draws
