"""Any Predictor as a MetaSchedule PyCostModel, so the auto-scheduler can search with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tircost_bench.predictors.interface import Predictor
from tircost_bench.representations.program import Program, Workload


def plain_json(obj: Any) -> Any:
    """TVM FFI containers (Map, Array, String) -> dict, list, str, as a suite's JSON records hold them."""
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, Mapping):
        return {str(k): plain_json(v) for k, v in obj.items()}
    if isinstance(obj, Sequence):
        return [plain_json(v) for v in obj]
    return obj


def programs_from_candidates(context: Any, candidates: list[Any]) -> list[Program]:
    """MeasureCandidates of one tuning task -> Programs (the same objects the suites give)."""
    import tvm.s_tir.meta_schedule as ms

    workload = ms.database.Workload(context.mod)
    target_json = plain_json(context.target.export()) if hasattr(context.target, "export") else None
    shared = Workload(context.task_name or "search", workload.as_json(), target_json or {})
    shared._workload = workload  # already decoded
    programs = []
    for i, cand in enumerate(candidates):
        rec = ms.database.TuningRecord(cand.sch.trace, workload, None, context.target, cand.args_info)
        program = Program(-1 - i, shared.task_id, (), shared, rec.as_json())
        program.adopt_schedule(cand.sch)  # the tuner already applied the trace: no replay for features/graphs
        programs.append(program)
    return programs


def make_cost_model(predictor: Predictor) -> Any:
    """Wrap `predictor`; scores are best-predicted / predicted latency in (0, 1], higher = faster."""
    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.cost_model import PyCostModel

    @derived_object
    class PredictorCostModel(PyCostModel):
        def load(self, path: str) -> None:
            predictor.load(path)

        def save(self, path: str) -> None:
            predictor.save(path)

        def update(self, context: Any, candidates: list[Any], results: list[Any]) -> None:
            progs, lats = [], []
            for prog, res in zip(programs_from_candidates(context, candidates), results):
                secs = [float(x) for x in (res.run_secs or [])]
                if secs and res.error_msg is None and all(np.isfinite(secs)):
                    progs.append(prog)
                    lats.append(float(np.mean(secs)))
            if progs:
                predictor.update(progs, np.asarray(lats, dtype=np.float64))

        def predict(self, context: Any, candidates: list[Any]) -> np.ndarray:
            if not candidates:
                return np.zeros(0, dtype=np.float64)
            lat = np.asarray(predictor.predict(programs_from_candidates(context, candidates)), dtype=np.float64)
            lat = np.where(np.isfinite(lat) & (lat > 0), lat, np.inf)
            best = lat.min() if np.isfinite(lat.min()) else 1.0
            return np.where(np.isfinite(lat), best / lat, 0.0).astype(np.float64)

    return PredictorCostModel()
