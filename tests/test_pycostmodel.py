"""The PyCostModel adapter: search candidates become Programs that carry the tuner's own schedule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tircost_bench.predictors.pycostmodel import programs_from_candidates
from tircost_bench.representations import ast_graph as ag
from tircost_bench.representations import features as F
from tircost_bench.representations.program import Program


def _copy(p: Program) -> Program:
    return Program(-1, p.task_id, (), p.workload, p._record_json)


def test_candidates_adopt_the_tuners_schedule(mini_suite, tmp_path: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """No trace replay for a candidate, and the same features, graph and content key as a replay gives."""
    monkeypatch.setenv("TIRCOST_CACHE_DIR", str(tmp_path))
    train = mini_suite.programs_of("train")
    suite_programs = [p for p in train if p.task_id == train[0].task_id][:4]
    candidates = [_copy(p).measure_candidate() for p in suite_programs]
    programs = programs_from_candidates(F.cheap_context(suite_programs[0].workload), candidates)
    assert all(p._sch.same_as(c.sch) and p._mod is not None for p, c in zip(programs, candidates))
    replayed = [_copy(p) for p in suite_programs]
    assert [p.trace_json for p in programs] == [p.trace_json for p in replayed]
    for a, b in zip(F.per_store_features(programs), F.per_store_features(replayed)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(programs, replayed):
        ga, gb = ag.build_graph(a), ag.build_graph(b)
        assert ga.vocab == gb.vocab
        for field in ("token_idx", "features", "edge_index", "edge_type"):
            np.testing.assert_array_equal(getattr(ga, field), getattr(gb, field))
