"""XGBoost over per-program aggregates of MetaSchedule PerStoreFeature, trained to rank within a task.

Two objectives (parameter `objective`):
- "rank:pairwise": xgboost's pairwise ranking loss, query group = task, relevance = min_cost / cost;
- "reg:weighted":  TVM XGBModel's target: squared error on min_cost / cost, weighted by it (fast programs count
                   more), but on aggregated features instead of TVM's per-store pack-sum custom objective;
- "auto":          fit both, keep the one with the higher pairwise accuracy on `valid`.
Both produce a unit-less score (higher = faster). Latency in seconds comes from a second, small model
(see `_LatencyScale`): metrics that rank within a task never see it; rmse_z does.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.predictors.interface import Predictor
from tircost_bench.representations.features import per_store_features, program_summary, workload_features
from tircost_bench.representations.program import Program, Workload
from tircost_bench.representations.workers import default_workers
from tircost_bench.suite.loader import LabeledPrograms

OBJECTIVES = ("rank:pairwise", "reg:weighted")
DEFAULTS: dict[str, Any] = {
    "objective": "rank:pairwise",
    "num_boost_round": 300,
    "max_depth": 8,
    "eta": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 1.0,
    "pairs_per_sample": 8,  # rank:pairwise: sampled partners per program within its task
    "nthread": 0,  # threads for features and xgboost; 0 = one per core
    "online_rounds": 20,  # search: trees appended per update, fitted to the tuner's measurements (0 = off)
}


def _relevance(task_ids: np.ndarray, latencies: np.ndarray) -> np.ndarray:
    """TVM's label: min_cost / cost within each task, in (0, 1], 1 = fastest."""
    rel = np.empty_like(latencies)
    for t in np.unique(task_ids):
        m = task_ids == t
        rel[m] = latencies[m].min() / latencies[m]
    return rel


def pairwise_on(split: LabeledPrograms, score: np.ndarray) -> float:
    """Mean per-task pairwise accuracy of a higher-is-faster score on a labelled split."""
    from tircost_bench.metrics import TaskPredictions, compute_metrics

    tids = split.task_ids
    tasks = [TaskPredictions(str(t), split.latencies[tids == t], -score[tids == t], {}) for t in np.unique(tids)]
    return compute_metrics(tasks, ["pairwise_accuracy"]).overall["pairwise_accuracy"]


class _LatencyScale:
    """Monotone score -> seconds: log(lat) = level(task) - slope * (score - offset).

    level(task) is a regressor from the *unscheduled* workload's PerStoreFeature to the task's mean log
    latency on train, so it needs no labels of the task and does not depend on the batch being predicted.
    slope is the within-task least-squares fit of log latency on score; offset the mean train score.
    """

    def __init__(self) -> None:
        self.level: Any = None
        self.slope = 1.0
        self.offset = 0.0
        self._memo: dict[str, float] = {}  # workload structural hash -> level

    def fit(self, workloads: dict[str, Workload], task_ids: np.ndarray, log_lat: np.ndarray,
            score: np.ndarray, params: dict[str, Any]) -> None:
        import xgboost as xgb

        tasks = sorted(workloads)
        x = program_summary([workload_features(workloads[t]) for t in tasks])
        y = np.array([log_lat[task_ids == t].mean() for t in tasks])
        self.level = xgb.train({**params, "objective": "reg:squarederror", "max_depth": 4},
                               xgb.DMatrix(x, label=y), num_boost_round=100)
        cs, cl = score.copy(), log_lat.copy()
        for t in tasks:  # centre per task: the slope must not learn between-task differences
            m = task_ids == t
            cs[m] -= cs[m].mean()
            cl[m] -= cl[m].mean()
        var = float(cs @ cs)
        self.slope = max(-float(cs @ cl) / var, 1e-6) if var > 0 else 1.0  # keep the map decreasing
        self.offset = float(score.mean())

    def _level(self, w: Workload) -> float:
        import xgboost as xgb

        # The structural hash MetaSchedule's JSONDatabase stores on the workload line (computed once per
        # workload when it was recorded): hashing w.mod again per program was 75% of a warm predict.
        key = str(w._line[0])
        if key not in self._memo:
            self._memo[key] = float(self.level.predict(xgb.DMatrix(program_summary([workload_features(w)])))[0])
        return self._memo[key]

    def __call__(self, programs: Sequence[Program], score: np.ndarray) -> np.ndarray:
        levels = np.array([self._level(p.workload) for p in programs])
        log_lat = levels - self.slope * (score - self.offset)
        return np.exp(np.clip(log_lat, -40.0, 20.0))  # finite, > 0, whatever the booster says

    def save(self, d: Path) -> dict[str, float]:
        self.level.save_model(d / "scale.json")
        return {"slope": self.slope, "offset": self.offset}

    def load(self, d: Path, meta: dict[str, float]) -> None:
        import xgboost as xgb

        self.level = xgb.Booster(model_file=str(d / "scale.json"))
        self.slope, self.offset = meta["slope"], meta["offset"]


class XGBoostPredictor(Predictor):
    def __init__(self, seed: int = 0, **parameters: Any) -> None:
        unknown = set(parameters) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        super().__init__(seed=seed, **{**DEFAULTS, **parameters})
        objective = self.parameters["objective"]
        if objective not in (*OBJECTIVES, "auto"):
            raise ValueError(f"objective {objective!r}: use one of {', '.join(OBJECTIVES)} or 'auto'")
        self.booster: Any = None
        self.objective = str(objective)  # the one actually trained (resolves "auto")
        self.scale = _LatencyScale()
        self.selection: dict[str, float] = {}  # objective -> val pairwise accuracy, when "auto" ran
        self._trained: Any = None  # the booster as fitted/loaded; online trees are always grown from it
        self._online: list[tuple[np.ndarray, list[str], np.ndarray]] = []  # (features, task ids, latencies)

    def _threads(self) -> int:
        return int(self.parameters["nthread"]) or default_workers()  # the cores this process may use

    def _xgb_params(self, objective: str) -> dict[str, Any]:
        p = self.parameters
        common = {"max_depth": p["max_depth"], "eta": p["eta"], "subsample": p["subsample"],
                  "colsample_bytree": p["colsample_bytree"], "min_child_weight": p["min_child_weight"],
                  "nthread": self._threads(), "seed": self.seed, "verbosity": 0}
        if objective == "rank:pairwise":
            return {**common, "objective": "rank:pairwise", "lambdarank_pair_method": "mean",
                    "lambdarank_num_pair_per_sample": p["pairs_per_sample"]}
        return {**common, "objective": "reg:squarederror"}

    def _train(self, objective: str, x: np.ndarray, task_ids: np.ndarray, rel: np.ndarray,
               rounds: int | None = None, start: Any = None) -> Any:
        """A booster fitted on (x, rel); `start` (left unchanged: xgboost copies it) continues an existing one."""
        import xgboost as xgb

        if objective == "rank:pairwise":
            order = np.argsort(task_ids, kind="stable")  # xgboost wants each query group contiguous
            _, qid = np.unique(task_ids[order], return_inverse=True)
            dm = xgb.DMatrix(x[order], label=rel[order], qid=qid)
        else:
            dm = xgb.DMatrix(x, label=rel, weight=rel)
        rounds = int(self.parameters["num_boost_round"]) if rounds is None else rounds
        return xgb.train(self._xgb_params(objective), dm, num_boost_round=rounds, xgb_model=start)

    def _score(self, programs: Sequence[Program]) -> np.ndarray:
        import xgboost as xgb

        x = program_summary(per_store_features(programs, self._threads()))
        return np.asarray(self.booster.predict(xgb.DMatrix(x)), dtype=np.float64)

    def fit(self, train: LabeledPrograms, valid: LabeledPrograms) -> None:
        self._trained, self._online = None, []
        x = program_summary(per_store_features(train.programs, self._threads()))
        task_ids = train.task_ids
        rel = _relevance(task_ids, train.latencies)
        if self.parameters["objective"] != "auto":
            self.booster = self._train(self.objective, x, task_ids, rel)
        else:
            if len(valid) == 0:
                raise ValueError("objective 'auto' selects on the val split, which is empty")
            fitted = {}
            for objective in OBJECTIVES:
                self.booster = fitted[objective] = self._train(objective, x, task_ids, rel)
                self.selection[objective] = pairwise_on(valid, self._score(valid.programs))
            self.objective = max(OBJECTIVES, key=lambda o: self.selection[o])  # ties: the first, rank:pairwise
            self.booster = fitted[self.objective]
        workloads = {p.task_id: p.workload for p in train.programs}
        self.scale.fit(workloads, task_ids, np.log(train.latencies), self._score(train.programs),
                       self._xgb_params("reg:weighted"))

    def update(self, programs: Sequence[Program], latencies: np.ndarray) -> None:
        """Online learning in search: re-grow `online_rounds` trees on top of the trained booster from all the
        measurements seen so far (like TVM's XGBModel refits on its whole history, but starting from the
        transferred model instead of from nothing). The trained booster itself is never changed."""
        rounds = int(self.parameters["online_rounds"])
        if self.booster is None:
            raise RuntimeError("XGBoostPredictor: call fit or load before update")
        if rounds <= 0 or not len(programs):
            return
        if self._trained is None:
            self._trained = self.booster
        feats = program_summary(per_store_features(programs, self._threads()))
        self._online.append((feats, [p.task_id for p in programs], np.asarray(latencies, dtype=np.float64)))
        x = np.concatenate([f for f, _, _ in self._online])
        task_ids = np.array([t for _, tids, _ in self._online for t in tids])
        lat = np.concatenate([lat for _, _, lat in self._online])
        self.booster = self._train(self.objective, x, task_ids, _relevance(task_ids, lat), rounds, self._trained)

    def predict(self, programs: Sequence[Program]) -> np.ndarray:
        if self.booster is None:
            raise RuntimeError("XGBoostPredictor: call fit or load before predict")
        if not programs:
            return np.zeros(0, dtype=np.float64)
        return self.scale(programs, self._score(programs)).astype(np.float64)

    def save(self, directory: Path) -> None:
        d = Path(directory)
        # gzip: the JSON model is ~4 MB a seed and compresses ~10x (checkpoints live in git).
        (d / "model.json.gz").write_bytes(gzip.compress(bytes(self.booster.save_raw("json")), mtime=0))
        meta = {"objective": self.objective, "selection": self.selection, "seed": self.seed,
                "parameters": self.parameters, "scale": self.scale.save(d), "features": "psf-sum-mean-max-v1"}
        (d / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    def load(self, directory: Path) -> None:
        import xgboost as xgb

        d = Path(directory)
        meta = json.loads((d / "meta.json").read_text())
        self._trained, self._online = None, []
        self.booster = xgb.Booster()
        self.booster.load_model(bytearray(gzip.decompress((d / "model.json.gz").read_bytes())))
        self.booster.set_param({"nthread": self._threads()})
        self.objective = meta["objective"]
        self.selection = meta.get("selection", {})
        self.scale.load(d, meta["scale"])
