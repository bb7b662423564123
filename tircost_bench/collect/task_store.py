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
PRESAMPLED = "presampled.jsonl"  # valid programs drawn ahead (`presample`), not yet built or measured


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
    if path.stat().st_size == size:
        return  # already whole: no write, no fsync (opening a finished task must stay cheap)
    with open(path, "r+b") as f:
        f.truncate(size)
        f.flush()
        os.fsync(f.fileno())


@dataclass
class SamplingStats:
    tried: int = 0
    invalid: int = 0
    duplicate: int = 0
    exhausted: bool = False  # a round drew only programs already measured: the design space is used up


class TaskStore:
    def __init__(self, root: Path, task_id: str, workload_mod: Any = None) -> None:
        """Open for appending (with `workload_mod`: creates the folder, repairs a torn tail) or, without it,
        as a read-only view of a finished folder."""
        self.dir = Path(root) / task_id
        self.task_id = task_id
        self.dropped = 0
        self._measured: list[Measurement] | None = None  # read once, then kept up to date by append
        self._presampled: list[tuple[list[Any], str]] | None = None  # likewise, kept up to date by add_presampled
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
        self._measured = self._presampled = None
        records, _ = _complete_lines(self.dir / RECORDS)
        measured, _ = _complete_lines(self.dir / MEASUREMENTS)
        keep = min(len(records), len(measured))
        dropped = 0
        for path, lines in ((self.dir / RECORDS, records), (self.dir / MEASUREMENTS, measured)):
            if path.exists():
                torn = path.stat().st_size != sum(len(x.encode()) for x in lines)
                dropped += len(lines) - keep + int(torn)
                _truncate_to_lines(path, lines[:keep])
        for name in (SAMPLING, PRESAMPLED):
            if (self.dir / name).exists():
                _truncate_to_lines(self.dir / name, _complete_lines(self.dir / name)[0])
        return dropped

    def measurements(self) -> list[Measurement]:
        if self._measured is None:
            lines, _ = _complete_lines(self.dir / MEASUREMENTS)
            self._measured = [Measurement.from_json(json.loads(line)) for line in lines]
        return list(self._measured)

    def sampling_stats(self) -> SamplingStats:
        total = SamplingStats()
        for line in _complete_lines(self.dir / SAMPLING)[0]:
            d = json.loads(line)
            total.tried += d["tried"]
            total.invalid += d["invalid"]
            total.duplicate += d["duplicate"]
            total.exhausted |= bool(d.get("exhausted", False))
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
        if self._measured is not None:
            self._measured.append(measurement)

    def presampled(self) -> list[tuple[list[Any], str]]:
        """(record JSON, structural hash) of the programs drawn ahead, measured or not, in drawing order."""
        if self._presampled is None:
            lines = _complete_lines(self.dir / PRESAMPLED)[0]
            self._presampled = [(d["record"], d["hash"]) for d in map(json.loads, lines)]
        return list(self._presampled)

    def add_presampled(self, programs: list[tuple[list[Any], str]]) -> None:
        with open(self.dir / PRESAMPLED, "a") as f:
            f.writelines(json.dumps({"record": r, "hash": h}, separators=(",", ":")) + "\n" for r, h in programs)
            f.flush()
            os.fsync(f.fileno())
        if self._presampled is not None:
            self._presampled.extend(programs)

    def add_sampling(self, tried: int, invalid: int, duplicate: int, exhausted: bool = False) -> None:
        line: dict[str, Any] = {"tried": tried, "invalid": invalid, "duplicate": duplicate}
        if exhausted:
            line["exhausted"] = True
        self._append(self.dir / SAMPLING, line)
