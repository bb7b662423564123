"""A measured program as given to predictors: identity plus lazy, cached representations. No label.

The record JSON a Program holds has its run_secs slot blanked, and a Program keeps no reference to its
suite, so test latencies cannot be reached from the objects a submission receives.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any


def plain_json(obj: Any) -> Any:
    """TVM FFI containers (Map, Array, String) and immediates (IntImm, FloatImm) -> dict, list, str, int,
    float, as a suite's JSON records hold them."""
    if isinstance(obj, (bool, int, float)) or obj is None:
        return obj
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, Mapping):
        return {str(k): plain_json(v) for k, v in obj.items()}
    if isinstance(obj, Sequence):
        return [plain_json(v) for v in obj]
    if type(obj).__name__ in ("IntImm", "FloatImm"):  # a Trace's attrs hold immediates
        return obj.value
    return obj


class Workload:
    """A task's workload, shared by all its programs; decoded from JSONDatabase's line on first use."""

    __slots__ = ("_fetch", "_line_json", "_workload", "target_json", "task_id")

    def __init__(self, task_id: str, line: list[Any] | None, target_json: dict[str, Any],
                 fetch: Any = None) -> None:
        self.task_id = task_id
        self._line_json = line
        self._fetch = fetch  # () -> line, for a workload read from the suite store on first use
        self._workload: Any = None
        self.target_json = target_json

    def __reduce__(self) -> tuple[Any, ...]:
        # The line itself, not the store's reader: a pickled workload (to a worker process) stands alone.
        return (Workload, (self.task_id, self._line, self.target_json))

    @property
    def _line(self) -> list[Any]:
        if self._line_json is None:
            self._line_json = self._fetch()
        return self._line_json

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

    __slots__ = ("_cache", "_candidate", "_mod", "_record", "_record_list", "_sch", "_source", "networks",
                 "task_id", "uid", "workload")

    def __init__(self, uid: int, task_id: str, networks: tuple[str, ...], workload: Workload,
                 record_json: list[Any] | None, source: Any = None) -> None:
        self.uid = uid
        self.task_id = task_id
        self.networks = networks
        self.workload = workload
        self._record_list: list[Any] | None = None
        self._source = source  # a suite store (record_json(uid)): the record is parsed on first use
        if record_json is not None:
            rec = list(record_json)
            rec[1] = None  # never carry the measured latency
            self._record_list = rec
        self._record: Any = None
        self._mod: Any = None
        self._sch: Any = None  # a live Schedule of this trace, when the caller had one (search candidates)
        self._candidate: Any = None  # the tuner's MeasureCandidate, for programs made by from_candidate
        self._cache: dict[str, Any] = {}

    @classmethod
    def from_candidate(cls, uid: int, workload: Workload, candidate: Any) -> Program:
        """A search candidate as a Program without serializing it (~2 us, was ~1.3 ms with a TuningRecord):
        features and graphs read the candidate's schedule; its trace and args JSON are made only if asked."""
        program = cls.__new__(cls)
        program.uid, program.task_id, program.networks, program.workload = uid, workload.task_id, (), workload
        program._record_list = program._record = program._source = None
        program._candidate, program._sch = candidate, candidate.sch
        program._mod = program._sch.mod
        program._cache = {}
        return program

    def __repr__(self) -> str:
        return f"Program(uid={self.uid}, task_id={self.task_id!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The blanked record, not the suite store it is read from (memo and live schedules stay behind).
        return (Program, (self.uid, self.task_id, self.networks, self.workload, self._record_json))

    @property
    def _is_bare_candidate(self) -> bool:
        """A search candidate whose record JSON was never made (keyed and featurized from its schedule)."""
        return self._record_list is None and self._candidate is not None

    @property
    def _record_json(self) -> list[Any]:
        """The record JSON: read from the suite store on first use, or, for a candidate, serialized on first
        use (TuningRecord.as_json's layout)."""
        if self._record_list is None:
            if self._candidate is not None:
                trace = plain_json(self._sch.trace.as_json(remove_postproc=False))
                args = [plain_json(a.as_json()) for a in self._candidate.args_info]
                self._record_list = [trace, None, None, args]
            else:
                rec = self._source.record_json(self.uid)
                rec[1] = None
                self._record_list = rec
        return self._record_list

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
        suite version, so disk caches survive a re-pack. A search candidate (no record JSON) is keyed by the
        structural hash of its scheduled module instead, which costs no trace serialization."""
        h = hashlib.sha1(f"{salt}|{self.workload._line[0]}|".encode())
        if self._is_bare_candidate:
            import tvm_ffi

            h.update(f"scheduled-mod:{int(tvm_ffi.structural_hash(self._mod)):x}".encode())
        else:
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

        if self._candidate is not None:
            return self._candidate
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
        self._record = None
        if not self._is_bare_candidate:  # a bare candidate's schedule is its only copy
            self._mod = self._sch = self._candidate = None
        self._cache.clear()
