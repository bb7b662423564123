"""TVM's own MetaSchedule cost model, `ms.cost_model.XGBModel`, unmodified, as a tircost-bench Predictor.

Trained through its public update(context, candidates, runner_results), one call per task (XGBModel
normalizes costs by the minimum within each update group: its label is min_cost / cost per task), and
queried through predict(context, candidates) -> score, higher = faster.

What is ours, and why it does not change the model:
- Features: XGBModel's extractor is a PyFeatureExtractor that returns stock `PerStoreFeature()` output
  from tircost_bench's feature cache (bit-identical to the default extractor; tested), so the trace replay
  and extraction are paid once per program and shared with other feature-based predictors. The candidates
  handed to XGBModel are therefore one unscheduled placeholder per task; only the extractor reads them.
- Training schedule: offline we hold all data up front. XGBModel retrains from scratch on *all* groups
  after each update, so calling update per task with adaptive_training=False would train N times and
  keep only the last booster. We defer training until the last task's update (see `_update_all`); the
  final booster is what the stock per-task sequence ends with.
- Latency = exp(-score): positive, strictly decreasing, finite for any score. The score is min_cost/cost
  in (0, 1] only approximately and carries no per-task scale, so rmse_z of this baseline is not meaningful.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.predictors.interface import Predictor
from tircost_bench.representations.features import cheap_context, per_store_features
from tircost_bench.representations.program import Program, Workload
from tircost_bench.suite.loader import LabeledPrograms

CHECKPOINT = "xgb_model.tar"  # XGBModel.save's own format: a tar of model.bin + data.npy
DEFAULTS: dict[str, Any] = {"nthread": 2, "early_stopping_rounds": 50}  # 50: XGBModel's default


def _cached_extractor(pending: list[Sequence[Program]]) -> Any:
    """A FeatureExtractor returning cached PerStoreFeature rows of the programs in `pending[0]`."""
    import tvm
    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.feature_extractor import PyFeatureExtractor

    @derived_object
    class CachedPerStoreFeature(PyFeatureExtractor):
        def extract_from(self, context: Any, candidates: list[Any]) -> list[Any]:
            programs = pending[0]
            if len(programs) != len(candidates):
                raise RuntimeError(f"{len(candidates)} candidates for {len(programs)} pending programs")
            return [tvm.runtime.tensor(f) for f in per_store_features(programs, int(context.num_threads))]

    return CachedPerStoreFeature()


class TVMXGBPredictor(Predictor):
    def __init__(self, seed: int = 0, **parameters: Any) -> None:
        unknown = set(parameters) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        super().__init__(seed=seed, **{**DEFAULTS, **parameters})
        import tvm.s_tir.meta_schedule as ms
        from tvm.s_tir.meta_schedule.cost_model.xgb_model import XGBConfig

        self._pending: list[Sequence[Program]] = [[]]
        nthread = int(self.parameters["nthread"])
        # Stock settings except: no random warm-up predictions and no adaptive skipping (offline, all data).
        self.model = ms.cost_model.XGBModel(
            extractor=_cached_extractor(self._pending), config=XGBConfig(seed=seed, nthread=nthread),
            num_warmup_samples=0, adaptive_training=False, verbose_eval=10**9,
            early_stopping_rounds=int(self.parameters["early_stopping_rounds"]),
        )
        self._nthread = nthread

    def _calls(self, programs: Sequence[Program]) -> list[tuple[list[int], Any, list[Any]]]:
        """Per task: indices into `programs`, a cheap TuneContext, placeholder candidates."""
        import tvm.s_tir.meta_schedule as ms
        from tvm.s_tir import Schedule

        groups: dict[int, list[int]] = {}
        workloads: dict[int, Workload] = {}
        for i, p in enumerate(programs):
            groups.setdefault(id(p.workload), []).append(i)
            workloads[id(p.workload)] = p.workload
        out = []
        for key, idx in groups.items():
            w = workloads[key]
            placeholder = ms.MeasureCandidate(Schedule(w.mod), [])
            out.append((idx, cheap_context(w, self._nthread), [placeholder] * len(idx)))
        return out

    def _update_all(self, programs: Sequence[Program], latencies: np.ndarray) -> None:
        from tvm.s_tir.meta_schedule.runner import RunnerResult

        calls = self._calls(programs)
        model = self.model
        for n, (idx, ctx, cands) in enumerate(calls):
            last = n == len(calls) - 1
            # Not last: adaptive mode with an unreachable threshold = "store the group, do not retrain yet".
            model.adaptive_training = not last
            model.last_train_size = 0 if last else sys.maxsize
            self._pending[0] = [programs[i] for i in idx]
            model.update(ctx, cands, [RunnerResult([float(latencies[i])], None) for i in idx])
        model.adaptive_training = False
        self._pending[0] = []

    def fit(self, train: LabeledPrograms, valid: LabeledPrograms) -> None:
        per_store_features(train.programs, self._nthread)  # in bulk, before the per-task loop
        self._update_all(train.programs, train.latencies)

    def update(self, programs: Sequence[Program], latencies: np.ndarray) -> None:
        """Search-time measurements: XGBModel's normal incremental path."""
        if programs:
            self._update_all(programs, np.asarray(latencies, dtype=np.float64))

    def scores(self, programs: Sequence[Program]) -> np.ndarray:
        """XGBModel.predict's raw score per program (higher = faster)."""
        per_store_features(programs, self._nthread)
        out = np.zeros(len(programs), dtype=np.float64)
        for idx, ctx, cands in self._calls(programs):
            self._pending[0] = [programs[i] for i in idx]
            out[idx] = self.model.predict(ctx, cands)
        self._pending[0] = []
        return out

    def predict(self, programs: Sequence[Program]) -> np.ndarray:
        if self.model.booster is None:
            raise RuntimeError("TVMXGBPredictor: call fit or load before predict")
        if not programs:
            return np.zeros(0, dtype=np.float64)
        return np.exp(-np.clip(self.scores(programs), -700.0, 700.0))

    def save(self, directory: Path) -> None:
        with warnings.catch_warnings():  # xgboost 3 warns that XGBModel's "model.bin" name is not .json/.ubj
            warnings.simplefilter("ignore", UserWarning)
            self.model.save(str(Path(directory) / CHECKPOINT))

    def load(self, directory: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.model.load(str(Path(directory) / CHECKPOINT))
