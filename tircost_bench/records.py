"""Typed records shared by the pipeline: tasks, networks, measurements and the suite manifest."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Why a measurement failed; TenSet lost whole runs by folding runtime faults into time-outs.
FAILURE_KINDS = ("build_error", "runtime_error", "timeout")
STATUS_OK = "ok"


@dataclass(frozen=True)
class NetworkUse:
    """One network (at one batch size) that contains a task, and how many times (TenSet's weight)."""

    network: str  # network id, e.g. "resnet_50-b1"
    weight: int


@dataclass
class TaskInfo:
    """A tuning task: one fused PrimFunc extracted from real networks, deduplicated by structural hash."""

    task_id: str  # stable id: "<name>-<8 hex of the structural hash>"
    name: str  # MetaSchedule task name, e.g. "fused_conv2d_add_relu"
    workload_hash: str  # tvm structural hash of the workload IRModule (decimal string, as JSONDatabase)
    uses: list[NetworkUse] = field(default_factory=list)
    flops: float = 0.0  # floating point operations of one run (for the roofline baseline and reports)
    bytes: float = 0.0  # bytes of all tensor arguments
    op_family: str = "other"  # conv2d, depthwise, dense, pool, softmax, norm, elementwise, ...

    @property
    def weight(self) -> int:
        return sum(u.weight for u in self.uses)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TaskInfo:
        d = dict(d)
        d["uses"] = [NetworkUse(**u) for u in d.get("uses", [])]
        return cls(**d)


@dataclass
class Measurement:
    """The sidecar line of one record: status, repeat latencies (seconds) and the error if it failed."""

    record: int  # line index in the task's database_tuning_record.json
    task_id: str
    status: str  # STATUS_OK or one of FAILURE_KINDS
    run_secs: list[float] = field(default_factory=list)  # one entry per repeat
    error: str = ""
    mod_hash: str = ""  # structural hash of the scheduled module (duplicates are never measured twice)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    @property
    def latency(self) -> float:
        """Mean of the repeats; the label the metrics use."""
        return sum(self.run_secs) / len(self.run_secs) if self.run_secs else float("nan")

    @property
    def noise_cv(self) -> float:
        """Coefficient of variation across repeats: the record's own noise figure."""
        n = len(self.run_secs)
        if n < 2:
            return float("nan")
        mean = self.latency
        var = sum((x - mean) ** 2 for x in self.run_secs) / (n - 1)
        return (var**0.5) / mean if mean > 0 else float("nan")

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Measurement:
        return cls(**d)
