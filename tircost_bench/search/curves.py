"""Search curves: a measure callback that timestamps every measured batch, and the curve math.

A model's search yields *events*, one per measured batch: (elapsed seconds, trials so far, task, best mean
latency of that task so far). A network's curve is the estimated network latency
    sum over its tasks of weight x best latency so far
and is **left empty until every task of the network has at least one valid measurement** (no guessing
for unmeasured tasks, no back-filling with a later measurement): its first point is where the curve first
becomes defined. From there it is monotone non-increasing, since each task's best only decreases.
MetaSchedule's schedulers (gradient and round-robin alike) give every task one batch before any second
one, so a budget of at least `tasks x per_iter` trials defines every curve.

`trials` counts every candidate handed to the runner, over all tasks of the search (failed builds and
runs included), which is what a search budget counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Curve:
    seconds: list[float] = field(default_factory=list)
    trials: list[int] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)

    def add(self, seconds: float, trials: int, latency: float) -> None:
        self.seconds.append(float(seconds))
        self.trials.append(int(trials))
        self.latency.append(float(latency))

    @property
    def final(self) -> float | None:
        return self.latency[-1] if self.latency else None

    def to_json(self) -> dict[str, list]:
        return {"seconds": self.seconds, "trials": self.trials, "latency": self.latency}

    @classmethod
    def from_json(cls, d: Mapping[str, Sequence]) -> Curve:
        return cls(list(d["seconds"]), list(d["trials"]), list(d["latency"]))


@dataclass(frozen=True)
class Event:
    """One measured batch of one task."""

    seconds: float  # since the search started
    trials: int  # candidates measured so far, all tasks
    task: str
    best: float  # the task's best mean latency so far (inf while none valid)


def network_curve(events: Sequence[Event], weights: Mapping[str, float]) -> Curve:
    """sum(weight x best) over the network's tasks, from the first event where all of them are measured."""
    best: dict[str, float] = {}
    curve = Curve()
    for ev in events:
        if ev.task in weights and math.isfinite(ev.best):
            best[ev.task] = min(best.get(ev.task, math.inf), ev.best)
        if weights and all(t in best for t in weights):
            value = sum(w * best[t] for t, w in weights.items())
            if curve.latency and value == curve.latency[-1] and ev.task not in weights:
                continue  # other networks' batches: keep the curve short, the step function is unchanged
            curve.add(ev.seconds, ev.trials, value)
    return curve


def _first_reaching(curve: Curve, target: float, rtol: float) -> int | None:
    for i, lat in enumerate(curve.latency):
        if lat <= target * (1.0 + rtol):
            return i
    return None


def time_to_reference(curve: Curve, reference: float | None, rtol: float = 1e-9) -> float | None:
    """Search seconds until the curve first reaches `reference` latency (None if it never does)."""
    if reference is None or not math.isfinite(reference):
        return None
    i = _first_reaching(curve, reference, rtol)
    return None if i is None else curve.seconds[i]


def trials_to_reference(curve: Curve, reference: float | None, rtol: float = 1e-9) -> int | None:
    if reference is None or not math.isfinite(reference):
        return None
    i = _first_reaching(curve, reference, rtol)
    return None if i is None else curve.trials[i]


def curve_metrics(curves: Mapping[str, Curve], reference_model: str | None) -> dict[str, dict[str, Any]]:
    """Per model: final latency (at equal budget), time/trials to the reference's final latency, speed-up.

    The reference is the stock XGBModel's curve: `speed_up` = the seconds the reference took to reach its
    own final latency / the seconds this model took to reach it (> 1: faster than stock; None: never).
    """
    ref = curves.get(reference_model) if reference_model else None
    target = ref.final if ref is not None else None
    ref_time = time_to_reference(ref, target) if ref is not None else None
    out: dict[str, dict[str, Any]] = {}
    for name, curve in curves.items():
        ttr = time_to_reference(curve, target)
        out[name] = {
            "final_latency": curve.final,
            "final_seconds": curve.seconds[-1] if curve.seconds else None,
            "final_trials": curve.trials[-1] if curve.trials else None,
            "reference_latency": target,
            "time_to_reference": ttr,
            "trials_to_reference": trials_to_reference(curve, target),
            "speed_up": (ref_time / ttr) if (ref_time is not None and ttr) else None,
        }
    return out


def make_recorder(task_names: Sequence[str], on_batch: Callable[[Event, int], None] | None = None,
                  events: list[Event] | None = None) -> Any:
    """A MeasureCallback that appends an Event per measured batch to `.events` (`events` when given; the
    clock starts at `.start()`); `on_batch(event, trials)` is called after each, e.g. to drive a progress
    bar or write the results so far."""
    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.measure_callback import PyMeasureCallback

    from tircost_bench.search.builder import remove_artifact
    from tircost_bench.search.device_lock import search_clock

    @derived_object
    class CurveRecorder(PyMeasureCallback):
        def __init__(self) -> None:
            super().__init__()
            self.events: list[Event] = events if events is not None else []
            self.best: dict[str, float] = {}
            self.trials = 0
            self.t0 = search_clock()

        def start(self) -> None:
            self.t0 = search_clock()

        def apply(self, task_scheduler: Any, task_id: int, measure_candidates: Any, builder_results: Any,
                  runner_results: Any) -> None:
            now = search_clock() - self.t0
            task = task_names[int(task_id)]
            best = self.best.get(task, math.inf)
            for b, r in zip(builder_results, runner_results):
                secs = [float(x) for x in (r.run_secs or [])]
                if b.error_msg is None and r.error_msg is None and secs and all(map(math.isfinite, secs)):
                    best = min(best, sum(secs) / len(secs))
            self.best[task] = best
            for b in builder_results:  # the default callbacks delete the file; the folder is ours
                remove_artifact(b.artifact_path)
            self.trials += len(measure_candidates)
            ev = Event(now, self.trials, task, best)
            self.events.append(ev)
            if on_batch is not None:
                on_batch(ev, self.trials)

    return CurveRecorder()


def value_at(curve: Curve, seconds: float) -> float | None:
    """The step curve's latency at `seconds` (None before its first point)."""
    out = None
    for t, lat in zip(curve.seconds, curve.latency):
        if t > seconds:
            break
        out = lat
    return out


def mean_latency(curve: Curve, start: float, end: float) -> float | None:
    """Area under the step curve from `start` to `end`, divided by the window: its mean latency there
    (None if the curve is not defined at `start` or the window is empty)."""
    if end <= start or value_at(curve, start) is None:
        return None
    area, t, lat = 0.0, start, value_at(curve, start)
    for ti, li in zip(curve.seconds, curve.latency):
        if ti <= start:
            continue
        if ti >= end:
            break
        area += lat * (ti - t)
        t, lat = ti, li
    area += lat * (end - t)
    return area / (end - start)


def tail_drop(curve: Curve, end_trials: int | None = None, tail: float = 1 / 3) -> float | None:
    """How much the curve fell over the last `tail` of the search's trials (`end_trials`, default the curve's
    last point: a curve leaves out other networks' batches, so it can end before the search did), relative to
    its final value: 0.08 = the latency at the start of the tail was 8% above the final one. None when the
    curve is empty or defined only inside that tail (nothing to judge)."""
    if not curve.trials:
        return None
    start = max(end_trials or 0, curve.trials[-1]) * (1 - tail)
    before = [lat for t, lat in zip(curve.trials, curve.latency) if t <= start]
    return before[-1] / curve.latency[-1] - 1.0 if before else None


def converged(curve: Curve, end_trials: int | None = None, tail: float = 1 / 3, rtol: float = 0.01) -> bool | None:
    """The protocol's test of a budget (docs/search.md): the curve has been flat, within `rtol`, over the last
    `tail` of the search's trials (see `tail_drop`); False when the curve is defined only inside that tail,
    None when it is empty."""
    if not curve.trials:
        return None
    drop = tail_drop(curve, end_trials, tail)
    return drop is not None and drop <= rtol


def network_trials(events: Sequence[Sequence[Any]], tasks: Mapping[str, float]) -> int:
    """Trials a search spent on a network's tasks: each event is one measured batch, its size the step in the
    running trial count. In one search over several networks the task scheduler may starve a network whose
    tasks weigh little (its curve then stops after one batch a task)."""
    spent, last = 0, 0
    for _, trials, task, _ in events:
        if task in tasks:
            spent += int(trials) - last
        last = int(trials)
    return spent


def versus_stock(curve: Curve, stock: Curve, stock_trials: int | None = None) -> dict[str, Any]:
    """The protocol's comparison of one model's curve with its stock XGBModel run (docs/search.md):
    stock's seconds to its own final latency, the model's seconds to it, the speed-up (None when the model's
    first point is already at or below stock's final: then `first_point_better`, and no speed-up is claimed),
    the model's latency at stock's final second, the mean latencies over the window both are defined, and
    whether stock converged (a speed-up over a stock run still falling times a budget, not a search)."""
    target = stock.final
    stock_t = time_to_reference(stock, target)
    model_t = time_to_reference(curve, target)
    first_better = bool(curve.latency and target is not None and curve.latency[0] <= target * (1 + 1e-9))
    start = max(curve.seconds[0], stock.seconds[0]) if curve.seconds and stock.seconds else 0.0
    end = min(curve.seconds[-1], stock.seconds[-1]) if curve.seconds and stock.seconds else 0.0
    model_mean, stock_mean = mean_latency(curve, start, end), mean_latency(stock, start, end)
    return {
        "final_latency": curve.final,
        "stock_final_latency": target,
        "stock_converged": converged(stock, stock_trials),
        "stock_tail_drop": tail_drop(stock, stock_trials),
        "stock_seconds_to_final": stock_t,
        "seconds_to_stock_final": model_t,
        "first_point_better": first_better,
        "speed_up": None if first_better or not model_t or stock_t is None else stock_t / model_t,
        "latency_at_stock_final_time": value_at(curve, stock.seconds[-1]) if stock.seconds else None,
        "mean_latency_ratio": (model_mean / stock_mean) if model_mean and stock_mean else None,
    }
