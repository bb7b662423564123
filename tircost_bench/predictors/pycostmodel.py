"""Any Predictor as a MetaSchedule PyCostModel, so the auto-scheduler can search with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tircost_bench.predictors.interface import Predictor
from tircost_bench.representations.program import Program, Workload, plain_json


class CandidatePrograms:
    """Turns one task's MeasureCandidates into Programs; the task's Workload is made once per search.

    Per call only a Program per candidate is made (Program.from_candidate): no TuningRecord, no trace JSON.
    The Workload (its JSON line and structural hash, a few ms a task) is kept per task name and reused while
    the tuner's context holds the same module.
    """

    def __init__(self) -> None:
        self._workloads: dict[str, tuple[Any, Workload]] = {}

    def workload(self, context: Any) -> Workload:
        name = context.task_name or "search"
        mod = context.mod
        known = self._workloads.get(name)
        if known is not None and known[0].same_as(mod):
            return known[1]
        import tvm.s_tir.meta_schedule as ms

        ms_workload = ms.database.Workload(mod)
        target_json = plain_json(context.target.export()) if hasattr(context.target, "export") else {}
        shared = Workload(name, ms_workload.as_json(), target_json)
        shared._workload = ms_workload  # already decoded
        self._workloads[name] = (mod, shared)
        return shared

    def __call__(self, context: Any, candidates: Sequence[Any]) -> list[Program]:
        shared = self.workload(context)
        return [Program.from_candidate(-1 - i, shared, cand) for i, cand in enumerate(candidates)]


def programs_from_candidates(context: Any, candidates: Sequence[Any]) -> list[Program]:
    """MeasureCandidates of one tuning task -> Programs (the same objects the suites give)."""
    return CandidatePrograms()(context, candidates)


def make_cost_model(predictor: Predictor, timer: Any = None) -> Any:
    """Wrap `predictor`; scores are best-predicted / predicted latency in (0, 1], higher = faster.
    `timer` (a search.timing.PartTimer) times the conversion, predict and update calls when given."""
    import contextlib

    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.cost_model import PyCostModel

    to_programs = CandidatePrograms()

    def part(name: str) -> Any:
        return timer.part(name) if timer is not None else contextlib.nullcontext()

    @derived_object
    class PredictorCostModel(PyCostModel):
        def load(self, path: str) -> None:
            predictor.load(path)

        def save(self, path: str) -> None:
            predictor.save(path)

        def update(self, context: Any, candidates: list[Any], results: list[Any]) -> None:
            with part("update"):
                progs, lats = [], []
                for prog, res in zip(to_programs(context, candidates), results):
                    secs = [float(x) for x in (res.run_secs or [])]
                    if secs and res.error_msg is None and all(np.isfinite(secs)):
                        progs.append(prog)
                        lats.append(float(np.mean(secs)))
                if progs:
                    predictor.update(progs, np.asarray(lats, dtype=np.float64))

        def predict(self, context: Any, candidates: list[Any]) -> np.ndarray:
            if not candidates:
                return np.zeros(0, dtype=np.float64)
            with timer.predicting() if timer is not None else contextlib.nullcontext():
                with part("programs"):
                    programs = to_programs(context, candidates)
                lat = np.asarray(predictor.predict(programs), dtype=np.float64)
            lat = np.where(np.isfinite(lat) & (lat > 0), lat, np.inf)
            best = lat.min() if np.isfinite(lat.min()) else 1.0
            return np.where(np.isfinite(lat), best / lat, 0.0).astype(np.float64)

    return PredictorCostModel()
