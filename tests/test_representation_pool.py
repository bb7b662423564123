"""Cold featurization in the shared worker pool gives what this process computes, and reuses its workers."""

from __future__ import annotations

import numpy as np

from tircost_bench.representations import features as F
from tircost_bench.representations import workers as W
from tircost_bench.representations.program import Program


def _fresh(p: Program) -> Program:
    return Program(-1 - p.uid, p.task_id, (), p.workload, p._record_json)  # no memo, no disk cache (uid < 0)


def test_pooled_features_match_serial(mini_suite):
    progs = mini_suite.programs_of("train")[:6]
    pooled = F.per_store_features([_fresh(p) for p in progs], workers=2, min_parallel=1)
    assert W.ready(2)
    pids, ticks = [proc.pid for proc in W._pool.procs], W._pool.ticks
    again = F.per_store_features([_fresh(p) for p in progs], workers=2, min_parallel=1)
    assert [proc.pid for proc in W._pool.procs] == pids and W._pool.ticks == ticks + len(progs)
    serial = F.per_store_features([_fresh(p) for p in progs], workers=1)
    for a, b, c in zip(pooled, again, serial):
        assert a.shape[1] == F.N_FEATURES and a.shape[0] > 0
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, c)
