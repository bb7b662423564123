"""Featurizing on Dask (a local cluster here): the same features as this process, every program once."""

from __future__ import annotations

import numpy as np
import pytest

from tircost_bench.representations import features as F
from tircost_bench.representations.program import Program


@pytest.mark.slow
def test_dask_features_match_local(mini_suite):
    from tircost_bench.representations.distributed import dask_client

    progs = mini_suite.programs_of("train")[:5] + mini_suite.programs_of("test")[:3]
    fresh = lambda: [Program(-1 - p.uid, p.task_id, (), p.workload, p._record_json) for p in progs]
    with dask_client("local:2") as client:
        on_dask = F.per_store_features(fresh(), dask=client)
        assert len(client.scheduler_info()["workers"]) == 2
    local = F.per_store_features(fresh(), workers=1)
    assert len(on_dask) == len(local) == len(progs)
    for a, b in zip(on_dask, local):
        np.testing.assert_array_equal(a, b)
