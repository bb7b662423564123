"""Where a search's seconds go, per model: the parts of the per-part timing table of the search leaderboard.

    programs          candidates -> Programs (our adapter only; stock XGBModel reads candidates directly)
    features_graphs   PerStoreFeature extraction and AST graph builds inside predict (our adapter only)
    predictor         the rest of predict: the model itself (stock XGBModel: its features + booster)
    update            online updates with the measured candidates (features of those included)
    build             compiling candidates in the warm pool
    run               from the builder's return to the measure callback: the runner's measurements
    other             the rest of the search: evolutionary mutation and sampling, the task scheduler

Features and graphs are timed by wrapping the representation modules' workers (`features._extract`,
`graph_store.build_graph`, and `workers.run_in_workers`, the shared pool both use) for the search's duration; they are looked up
at call time, so every submission that uses the shared representations is timed the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tircost_bench.search.device_lock import search_clock

PARTS = ("programs", "features_graphs", "predictor", "update", "build", "run", "other")


class PartTimer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PARTS, 0.0)
        self.phase: str | None = None  # "predict" while a cost model predicts
        self.last_build_end: float | None = None

    @contextlib.contextmanager
    def part(self, name: str) -> Iterator[None]:
        start = search_clock()
        try:
            yield
        finally:
            self.seconds[name] += search_clock() - start

    @contextlib.contextmanager
    def predicting(self) -> Iterator[None]:
        """Predict time, split into features/graphs (when the wrapped workers run) and the predictor."""
        start, before = search_clock(), self.seconds["features_graphs"] + self.seconds["programs"]
        self.phase = "predict"
        try:
            yield
        finally:
            self.phase = None
            inner = self.seconds["features_graphs"] + self.seconds["programs"] - before
            self.seconds["predictor"] += search_clock() - start - inner

    def build_ended(self) -> None:
        self.last_build_end = search_clock()

    def batch_measured(self) -> None:
        if self.last_build_end is not None:
            self.seconds["run"] += search_clock() - self.last_build_end
            self.last_build_end = None

    def finish(self, search_seconds: float) -> dict[str, float]:
        """The parts, with `other` = what the named parts leave of the search's seconds."""
        named = sum(v for k, v in self.seconds.items() if k != "other")
        return {**self.seconds, "other": max(0.0, search_seconds - named)}


_current: PartTimer | None = None  # the timer of the model searching now (one search at a time per process)


def _timed(fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        timer = _current
        if timer is None or timer.phase != "predict":
            return fn(*args, **kwargs)
        with timer.part("features_graphs"):
            return fn(*args, **kwargs)

    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


@contextlib.contextmanager
def timing(timer: PartTimer) -> Iterator[PartTimer]:
    """Make `timer` the current one and wrap the representation workers while the block runs."""
    global _current
    from tircost_bench.representations import features, graph_store, workers

    patched = [(features, "_extract"), (graph_store, "build_graph"), (workers, "run_in_workers")]
    originals = [getattr(mod, name) for mod, name in patched]
    _current = timer
    for (mod, name), fn in zip(patched, originals):
        setattr(mod, name, _timed(fn))
    try:
        yield timer
    finally:
        for (mod, name), fn in zip(patched, originals):
            setattr(mod, name, fn)
        _current = None


def timed_cost_model(inner: Any, timer: PartTimer) -> Any:
    """A stock cost model (e.g. XGBModel) whose predict and update calls are timed; behaviour unchanged."""
    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.cost_model import PyCostModel

    @derived_object
    class TimedCostModel(PyCostModel):
        def load(self, path: str) -> None:
            inner.load(path)

        def save(self, path: str) -> None:
            inner.save(path)

        def update(self, context: Any, candidates: list[Any], results: list[Any]) -> None:
            with timer.part("update"):
                inner.update(context, candidates, results)

        def predict(self, context: Any, candidates: list[Any]) -> Any:
            with timer.predicting():
                return inner.predict(context, candidates)

    return TimedCostModel()


def run_end_callback(timer: PartTimer) -> Any:
    """A MeasureCallback, first of the list, that ends the batch's `run` interval (the later callbacks, e.g.
    the cost model's update, are timed on their own)."""
    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.measure_callback import PyMeasureCallback

    @derived_object
    class RunEnded(PyMeasureCallback):
        def apply(self, task_scheduler: Any, task_id: int, measure_candidates: Any, builder_results: Any,
                  runner_results: Any) -> None:
            timer.batch_measured()

    return RunEnded()
