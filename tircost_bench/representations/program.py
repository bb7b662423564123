"""A measured program as given to predictors: identity plus lazy, cached representations. No label.

The record JSON a Program holds has its run_secs slot blanked, and a Program keeps no reference to its
suite, so test latencies cannot be reached from the objects a submission receives.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


class Workload:
    """A task's workload, shared by all its programs; decoded from JSONDatabase's line on first use."""

    __slots__ = ("_line", "_workload", "target_json", "task_id")

    def __init__(self, task_id: str, line: list[Any], target_json: dict[str, Any]) -> None:
        self.task_id = task_id
        self._line = line
        self._workload: Any = None
        self.target_json = target_json

    def __getstate__(self) -> tuple[Any, ...]:
        """Picklable without TVM objects (the submission worker receives programs by pipe)."""
        return (self.task_id, self._line, self.target_json)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.task_id, self._line, self.target_json = state
        self._workload = None

    @property
    def ms_workload(self) -> Any:
        if self._workload is None:
            import tvm.s_tir.meta_schedule as ms

            self._workload = ms.database.Workload.from_json(self._line)
        return self._workload

    @property
    def mod(self) -> Any:
        """The unscheduled workload IRModule."""
        return self.ms_workload.mod


class Program:
    """One random program of a task: `uid` is stable within a suite (its record line)."""

    __slots__ = ("_cache", "_mod", "_record", "_record_json", "_sch", "networks", "task_id", "uid", "workload")

    def __init__(self, uid: int, task_id: str, networks: tuple[str, ...], workload: Workload,
                 record_json: list[Any]) -> None:
        self.uid = uid
        self.task_id = task_id
        self.networks = networks
        self.workload = workload
        rec = list(record_json)
        rec[1] = None  # never carry the measured latency
        self._record_json = rec
        self._record: Any = None
        self._mod: Any = None
        self._sch: Any = None  # a live Schedule of this trace, when the caller had one (search candidates)
        self._cache: dict[str, Any] = {}

    def __getstate__(self) -> tuple[Any, ...]:
        """Identity and record only: caches and live schedules (TVM objects) stay behind."""
        return (self.uid, self.task_id, self.networks, self.workload, self._record_json)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.uid, self.task_id, self.networks, self.workload, self._record_json = state
        self._record = self._mod = self._sch = None
        self._cache = {}

    def __repr__(self) -> str:
        return f"Program(uid={self.uid}, task_id={self.task_id!r})"

    @property
    def args_info_json(self) -> list[Any]:
        return self._record_json[3]

    @property
    def trace_json(self) -> list[Any]:
        return self._record_json[0]

    @property
    def target_json(self) -> dict[str, Any]:
        return self.workload.target_json

    def content_key(self, salt: str) -> str:
        """sha1 of salt + workload + trace + target: the same program has the same key in every suite and
        suite version, so disk caches survive a re-pack."""
        h = hashlib.sha1(f"{salt}|{self.workload._line[0]}|".encode())
        h.update(json.dumps(self.trace_json, separators=(",", ":")).encode())
        h.update(json.dumps(self.target_json, sort_keys=True).encode())
        return h.hexdigest()

    def schedule(self) -> Any:
        """A fresh Schedule with the record's trace replayed once on the workload (~10 ms for a conv)."""
        from tvm.s_tir import Schedule
        from tvm.s_tir.schedule import Trace

        sch = Schedule(self.workload.mod)
        Trace.apply_json_to_schedule(self.trace_json, sch)
        return sch

    @property
    def mod(self) -> Any:
        """The scheduled IRModule (memoized)."""
        if self._mod is None:
            self._mod = self.schedule().mod
        return self._mod

    @property
    def record(self) -> Any:
        """A MetaSchedule TuningRecord (trace, workload, target, args_info; run_secs None)."""
        if self._record is None:
            import tvm
            import tvm.s_tir.meta_schedule as ms

            args = [ms.arg_info.ArgInfo.from_json(a) for a in self.args_info_json]
            self._record = ms.database.TuningRecord(
                self.schedule().trace, self.workload.ms_workload, None, tvm.target.Target(self.target_json), args
            )
        return self._record

    def adopt_schedule(self, sch: Any) -> None:
        """Take `sch`, this program's trace already applied (a search candidate's), instead of replaying the
        trace later: a replay is ~80% of a cold feature extraction or AST graph."""
        self._sch, self._mod = sch, sch.mod

    def measure_candidate(self) -> Any:
        """As MetaSchedule's MeasureCandidate (what PyCostModel.predict receives); one trace replay unless
        the program adopted a live schedule."""
        import tvm.s_tir.meta_schedule as ms

        sch = self._sch if self._sch is not None else self.schedule()
        if self._mod is None:
            self._mod = sch.mod
        return ms.MeasureCandidate(sch, [ms.arg_info.ArgInfo.from_json(a) for a in self.args_info_json])

    def cached(self, key: str, compute: Any) -> Any:
        """Per-program memo for derived representations (features, graphs)."""
        if key not in self._cache:
            self._cache[key] = compute(self)
        return self._cache[key]

    def drop_cache(self) -> None:
        self._record = self._mod = self._sch = None
        self._cache.clear()
