"""One task's append-only measurement log: a MetaSchedule JSONDatabase plus a sidecar, crash-safe.

Write order per program: the tuning-record line, then the sidecar line (fsynced). A kill between the two
leaves one record without a measurement; `recover` drops such tails and any half-written line, so a
re-run continues with no duplicate and no loss of a completed measurement.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tircost_bench.records import Measurement

WORKLOADS = "database_workload.json"
RECORDS = "database_tuning_record.json"
MEASUREMENTS = "measurements.jsonl"
SAMPLING = "sampling.jsonl"


def _complete_lines(path: Path) -> tuple[list[str], int]:
    """Lines that parse as JSON, and the byte length of that valid prefix (a torn last line is cut)."""
    if not path.exists():
        return [], 0
    lines, size = [], 0
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            try:
                json.loads(raw)
            except ValueError:
                break
            lines.append(raw.decode())
            size += len(raw)
    return lines, size


def _truncate_to_lines(path: Path, lines: list[str]) -> None:
    size = sum(len(line.encode()) for line in lines)
    with open(path, "r+b") as f:
        f.truncate(size)
        f.flush()
        os.fsync(f.fileno())


@dataclass
class SamplingStats:
    tried: int = 0
    invalid: int = 0
    duplicate: int = 0


class TaskStore:
    def __init__(self, root: Path, task_id: str, workload_mod: Any = None) -> None:
        """Open for appending (with `workload_mod`: creates the folder, repairs a torn tail) or, without it,
        as a read-only view of a finished folder."""
        self.dir = Path(root) / task_id
        self.task_id = task_id
        self.dropped = 0
        if workload_mod is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        if not (self.dir / WORKLOADS).exists() or (self.dir / WORKLOADS).stat().st_size == 0:
            self._write_workload(workload_mod)
        self.dropped = self.recover()

    def _write_workload(self, mod: Any) -> None:
        import tvm.s_tir.meta_schedule as ms

        tmp = self.dir / "tmp-db"
        tmp.mkdir(exist_ok=True)
        ms.database.JSONDatabase(work_dir=str(tmp)).commit_workload(mod)
        os.replace(tmp / WORKLOADS, self.dir / WORKLOADS)  # atomic: the workload line is whole or absent
        for leftover in tmp.iterdir():
            leftover.unlink()
        tmp.rmdir()

    def recover(self) -> int:
        """Make records and sidecar agree on a common prefix; returns how many lines were dropped."""
        records, _ = _complete_lines(self.dir / RECORDS)
        measured, _ = _complete_lines(self.dir / MEASUREMENTS)
        keep = min(len(records), len(measured))
        dropped = 0
        for path, lines in ((self.dir / RECORDS, records), (self.dir / MEASUREMENTS, measured)):
            if path.exists():
                torn = path.stat().st_size != sum(len(x.encode()) for x in lines)
                dropped += len(lines) - keep + int(torn)
                _truncate_to_lines(path, lines[:keep])
        stats, _ = _complete_lines(self.dir / SAMPLING)
        if (self.dir / SAMPLING).exists():
            _truncate_to_lines(self.dir / SAMPLING, stats)
        return dropped

    def measurements(self) -> list[Measurement]:
        lines, _ = _complete_lines(self.dir / MEASUREMENTS)
        return [Measurement.from_json(json.loads(line)) for line in lines]

    def sampling_stats(self) -> SamplingStats:
        total = SamplingStats()
        for line in _complete_lines(self.dir / SAMPLING)[0]:
            d = json.loads(line)
            total.tried += d["tried"]
            total.invalid += d["invalid"]
            total.duplicate += d["duplicate"]
        return total

    @staticmethod
    def _append(path: Path, obj: Any) -> None:
        with open(path, "a") as f:
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def append(self, record_json: list[Any], measurement: Measurement) -> None:
        """record_json is TuningRecord.as_json(); its run_secs slot is filled here (null for failures)."""
        record = list(record_json)
        record[1] = measurement.run_secs or None
        self._append(self.dir / RECORDS, [0, record])
        self._append(self.dir / MEASUREMENTS, measurement.to_json())

    def add_sampling(self, tried: int, invalid: int, duplicate: int) -> None:
        self._append(self.dir / SAMPLING, {"tried": tried, "invalid": invalid, "duplicate": duplicate})
