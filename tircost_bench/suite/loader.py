"""Load a verified suite into Programs per split; train/val carry latencies, test labels stay here."""

from __future__ import annotations

import gc
import json
import lzma
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.records import Measurement, TaskInfo
from tircost_bench.representations.program import Program, Workload
from tircost_bench.suite.catalog import suite_path
from tircost_bench.suite.manifest import Manifest, SuiteIntegrityError
from tircost_bench.suite.pack import SUITE_FILES
from tircost_bench.suite.splits import SPLITS


@dataclass
class LabeledPrograms:
    """Programs with their measured mean latency in seconds (train and val only)."""

    programs: list[Program]
    latencies: np.ndarray

    def __post_init__(self) -> None:
        if len(self.programs) != len(self.latencies):
            raise ValueError("programs and latencies differ in length")

    def __len__(self) -> int:
        return len(self.programs)

    @property
    def task_ids(self) -> np.ndarray:
        return np.array([p.task_id for p in self.programs])


def _read_xz_lines(path: Path) -> list[str]:
    try:
        with lzma.open(path, "rt") as f:
            return f.read().splitlines()
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as err:  # truncated / corrupt / missing
        raise SuiteIntegrityError(
            f"{path} cannot be read ({type(err).__name__}: {err}); restore the suite from git or re-pack it"
        ) from None


class Suite:
    def __init__(self, path: Path, verify: bool = True) -> None:
        self.path = Path(path)
        self.manifest = Manifest.read(self.path)
        if verify:
            self.manifest.verify(self.path)
        tasks_json = json.loads((self.path / SUITE_FILES["tasks"]).read_text())
        self.tasks: dict[str, TaskInfo] = {t["task_id"]: TaskInfo.from_json(t) for t in tasks_json}
        self.split_tasks: dict[str, list[str]] = {}
        for name in SPLITS:
            split_file = self.path / "splits" / f"{name}.txt"
            if not split_file.exists():
                raise SuiteIntegrityError(f"{split_file} is missing: the suite cannot be scored without it")
            self.split_tasks[name] = split_file.read_text().split()
        # Millions of small JSON objects: the cyclic GC would rescan them on every allocation burst (~85% of
        # the load time on h100). They hold no cycles, so collect nothing while loading and freeze them after.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._load_records()
        finally:
            if enabled:
                gc.enable()
            gc.freeze()

    @property
    def name(self) -> str:
        return self.manifest.suite

    @property
    def sha256(self) -> str:
        return self.manifest.sha256

    def _load_records(self) -> None:
        workloads = [json.loads(x) for x in _read_xz_lines(self.path / SUITE_FILES["workloads"])]
        records = _read_xz_lines(self.path / SUITE_FILES["records"])
        self.measurements = []
        bad_measurements: dict[int, str] = {}
        for i, x in enumerate(_read_xz_lines(self.path / SUITE_FILES["measurements"])):
            try:
                self.measurements.append(Measurement.from_json(json.loads(x)))
            except (ValueError, TypeError) as err:  # one corrupt line never sinks the suite: it is skipped
                bad_measurements[i] = f"measurement {i}: {type(err).__name__}: {err}"
                self.measurements.append(Measurement(i, "", "corrupt"))
        if len(records) != len(self.measurements):
            raise SuiteIntegrityError(
                f"{self.name}: {len(records)} records but {len(self.measurements)} measurements; re-pack the suite"
            )
        task_of_workload: dict[int, Workload] = {}
        self.programs: dict[int, Program] = {}
        self.skipped: list[str] = []  # corrupt records: reported, never silently scored
        for i, (line, meas) in enumerate(zip(records, self.measurements)):
            if i in bad_measurements:
                self.skipped.append(bad_measurements[i])
                continue
            try:
                w_index, rec = json.loads(line)
                info = self.tasks[meas.task_id]
                if w_index not in task_of_workload:
                    task_of_workload[w_index] = Workload(meas.task_id, workloads[w_index], self.manifest.target)
                if task_of_workload[w_index].task_id != meas.task_id:
                    raise ValueError(f"workload {w_index} belongs to {task_of_workload[w_index].task_id}")
            except (ValueError, KeyError, IndexError, TypeError) as err:
                self.skipped.append(f"record {i}: {err}")
                continue
            if meas.ok:
                networks = tuple(u.network for u in info.uses)
                self.programs[i] = Program(i, meas.task_id, networks, task_of_workload[w_index], rec)

    def _split_indices(self, split: str) -> list[int]:
        if split not in self.split_tasks:
            raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
        tasks = set(self.split_tasks[split])
        return [i for i, p in self.programs.items() if p.task_id in tasks]

    def labeled(self, split: str) -> LabeledPrograms:
        """Train or val programs with labels. The test split is refused: its labels belong to the evaluator."""
        if split == "test":
            raise PermissionError("test labels are only read by the evaluator (tircost_bench.evaluation)")
        idx = self._split_indices(split)
        return LabeledPrograms([self.programs[i] for i in idx],
                               np.array([self.measurements[i].latency for i in idx], dtype=np.float64))

    def programs_of(self, split: str) -> list[Program]:
        return [self.programs[i] for i in self._split_indices(split)]

    def failed_counts(self, split: str) -> dict[str, int]:
        tasks = set(self.split_tasks[split])
        counts: dict[str, int] = {}
        for m in self.measurements:
            if m.task_id in tasks and not m.ok:
                counts[m.status] = counts.get(m.status, 0) + 1
        return counts

    def describe(self) -> dict[str, Any]:
        from tircost_bench.suite.catalog import describe

        return describe(self.manifest)


_LOADED: dict[tuple[str, bool], Suite] = {}


def load_suite(name_or_path: str | None = None, verify: bool = True) -> Suite:
    """A suite by name (suites/NAME) or path; verified against its manifest and memoized per process."""
    from tircost_bench.suite.catalog import default_suite

    path = suite_path(name_or_path or default_suite())
    key = (str(path.resolve()), verify)
    if key not in _LOADED:
        _LOADED[key] = Suite(path, verify=verify)
    return _LOADED[key]
