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
