"""Input record of the metrics: one task's measured and predicted latencies."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np


def _as_latency_vector(values: object, what: str, task_id: str) -> np.ndarray:
    """A read-only float64 copy, so a caller mutating its array cannot change a scored task."""
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"task {task_id!r}: {what} is not a numeric array ({exc})") from exc
    if arr.ndim != 1:
        raise ValueError(f"task {task_id!r}: {what} must be 1-D, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(
            f"task {task_id!r}: {what} has {bad.size} non-finite value(s), first at index {bad[0]} "
            f"({arr[bad[0]]})"
        )
    arr.flags.writeable = False
    return arr


def _as_standard_errors(values: object, n: int, task_id: str) -> np.ndarray:
    """A read-only float64 copy of n standard errors, each >= 0 or NaN (unknown)."""
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"task {task_id!r}: measured_se is not a numeric array ({exc})") from exc
    if arr.shape != (n,):
        raise ValueError(f"task {task_id!r}: measured_se has shape {arr.shape}, expected ({n},) like measured")
    bad = np.flatnonzero(np.isinf(arr) | (arr < 0))
    if bad.size:
        raise ValueError(
            f"task {task_id!r}: measured_se must be >= 0 or NaN (unknown), index {bad[0]} is {arr[bad[0]]}"
        )
    arr.flags.writeable = False
    return arr


# eq=False: the generated __eq__/__hash__ would compare numpy arrays element-wise and fail;
# identity semantics are what callers of a frozen record of arrays need.
@dataclass(frozen=True, eq=False)
class TaskPredictions:
    """One task: latencies of its successfully measured programs and a model's predictions for them.

    Failed programs are excluded upstream; a task therefore has at least one program.
    """

    task_id: str
    measured: np.ndarray  # float64 seconds, > 0
    predicted: np.ndarray  # float64 predicted seconds in the same order; lower = faster; any finite value
    network_weights: Mapping[str, int]  # test network id -> occurrences of the task in that network
    # Standard error (s) of each measured latency, from its repeat timings; None = unknown for the task,
    # NaN = unknown for that program (one repeat). Decides which pairs are within noise (ranking.py).
    measured_se: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.task_id, str) or not self.task_id:
            raise ValueError(f"task_id must be a non-empty string, got {self.task_id!r}")
        tid = self.task_id
        measured = _as_latency_vector(self.measured, "measured", tid)
        predicted = _as_latency_vector(self.predicted, "predicted", tid)
        if measured.size == 0:
            raise ValueError(f"task {tid!r}: no measured programs (drop the task upstream)")
        if measured.shape != predicted.shape:
            raise ValueError(
                f"task {tid!r}: {measured.size} measured latencies but {predicted.size} predictions"
            )
        # Latencies are divided by (peak/network score), so zero or negative is a data bug.
        if np.any(measured <= 0):
            i = int(np.flatnonzero(measured <= 0)[0])
            raise ValueError(f"task {tid!r}: measured latency must be > 0, index {i} is {measured[i]}")
        weights: dict[str, int] = {}
        for net, w in dict(self.network_weights).items():
            if not isinstance(net, str) or not net:
                raise ValueError(f"task {tid!r}: network id must be a non-empty string, got {net!r}")
            # bool is an Integral too, but True as a weight is almost certainly a mistake.
            if isinstance(w, bool) or not isinstance(w, numbers.Integral) or w < 1:
                raise ValueError(f"task {tid!r}: weight for network {net!r} must be an int >= 1, got {w!r}")
            weights[net] = int(w)
        if self.measured_se is not None:
            object.__setattr__(self, "measured_se", _as_standard_errors(self.measured_se, measured.size, tid))
        object.__setattr__(self, "measured", measured)
        object.__setattr__(self, "predicted", predicted)
        object.__setattr__(self, "network_weights", MappingProxyType(weights))

    @property
    def n_programs(self) -> int:
        return int(self.measured.size)

    @property
    def weight(self) -> int:
        """Occurrences over all test networks; a task in no listed network counts once."""
        return sum(self.network_weights.values()) or 1
