"""Load a verified suite: Programs per split from the suite store; labels read from the store on demand."""

from __future__ import annotations

import gc
import hashlib
import json
import lzma
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.records import Measurement, TaskInfo
from tircost_bench.representations.program import Program, Workload
from tircost_bench.suite.catalog import suite_path
from tircost_bench.suite.files import SUITE_FILES, split_file
from tircost_bench.suite.manifest import Manifest, SuiteIntegrityError
from tircost_bench.suite.splits import SPLITS
from tircost_bench.suite.store import SuiteStore, build_store, open_or_build, stream_lines


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


def _checked_lines(path: Path) -> Iterator[str]:
    try:
        yield from stream_lines(path)
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as err:  # truncated / corrupt / missing
        raise SuiteIntegrityError(
            f"{path} cannot be read ({type(err).__name__}: {err}); restore the suite from git or re-pack it"
        ) from None


def store_root() -> Path:
    """Where suite stores live: cache_dir()/suite-store, or TIRCOST_STORE_DIR (benchmarks that empty the
    representation cache keep the store)."""
    import os

    from tircost_bench.paths import cache_dir

    return Path(os.environ.get("TIRCOST_STORE_DIR") or cache_dir() / "suite-store")


def programs_from_store(store: SuiteStore, tasks: dict[str, TaskInfo], target: dict[str, Any]
                        ) -> tuple[dict[int, Program], tuple[list[str], np.ndarray]]:
    """A Program per scorable row (its record parsed on first use), and each row's task (names, index)."""
    import pyarrow.compute as pc

    table = store.programs
    rows = np.flatnonzero(table.column("program").to_numpy(zero_copy_only=False))
    encoded = pc.dictionary_encode(table.column("task_id").combine_chunks())
    task_names = encoded.dictionary.to_pylist()
    task_index = encoded.indices.to_numpy()
    w_index = table.column("workload").to_numpy()
    workloads: dict[int, Workload] = {}
    networks = {t: tuple(u.network for u in info.uses) for t, info in tasks.items()}
    programs: dict[int, Program] = {}
    for i, t, w in zip(rows.tolist(), task_index[rows].tolist(), w_index[rows].tolist()):
        task_id = task_names[t]
        if w not in workloads:
            workloads[w] = Workload(task_id, None, target, fetch=lambda w=w: store.workload_line(w))
        programs[i] = Program(i, task_id, networks[task_id], workloads[w], None, source=store)
    return programs, (task_names, task_index)


class Suite:
    def __init__(self, path: Path, verify: bool = True) -> None:
        self.path = Path(path)
        self.manifest = Manifest.read(self.path)
        found = self.manifest.file_digests(self.path)
        if verify:
            self.manifest.verify(self.path, found)
        tasks_json = json.loads((self.path / SUITE_FILES["tasks"]).read_text())
        self.tasks: dict[str, TaskInfo] = {t["task_id"]: TaskInfo.from_json(t) for t in tasks_json}
        self.split_tasks: dict[str, list[str]] = {}
        for name in SPLITS:
            path_of_split = split_file(self.path, name)
            if not path_of_split.exists():
                raise SuiteIntegrityError(f"{path_of_split} is missing: the suite cannot be scored without it")
            self.split_tasks[name] = path_of_split.read_text().split()
        # The store is keyed by the files as found (equal to the suite sha256 once verified).
        key = hashlib.sha256(json.dumps(sorted(found.items()), separators=(",", ":")).encode()).hexdigest()
        enabled = gc.isenabled()
        gc.disable()  # many small objects and no cycles: collection passes would rescan them (most of the time)
        try:
            self.store = open_or_build(store_root(), key, self._build_store)
            self._make_programs()
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

    @property
    def skipped(self) -> list[str]:
        """Corrupt records: reported, never silently scored."""
        return self.store.meta.skipped

    @property
    def label_files(self) -> frozenset[str]:
        """Files that hold measured latencies (the suite's and the store's), for guards around submissions."""
        import os

        return frozenset(os.path.realpath(p) for p in (self.path / SUITE_FILES["records"],
                                                        self.path / SUITE_FILES["measurements"],
                                                        self.store.label_file))

    def _build_store(self, folder: Path) -> None:
        from tircost_bench.progress import stage

        with stage(f"suite store {self.name}", total=int(sum(self.manifest.counts.get(k, 0)
                                                                 for k in ("records", "failed")))) as bar:
            try:
                build_store(folder, folder.name, _checked_lines(self.path / SUITE_FILES["workloads"]),
                            _checked_lines(self.path / SUITE_FILES["records"]),
                            _checked_lines(self.path / SUITE_FILES["measurements"]), set(self.tasks), bar)
            except ValueError as err:
                raise SuiteIntegrityError(f"{self.name}: {err}; re-pack the suite") from None

    def _make_programs(self) -> None:
        self.programs, self._task_of_row = programs_from_store(self.store, self.tasks, self.manifest.target)

    @property
    def measurements(self) -> list[Measurement]:
        """Every record's measurement, read from the store (latencies of every split: evaluator only)."""
        sys.audit("tircost_bench.test_labels", str(self.path))
        task_names, task_index = self._task_of_row
        cols = self.store.labels().select(["measurement_record", "status", "run_secs", "error", "mod_hash"])
        d = cols.to_pydict()
        return [Measurement(r, task_names[t], st, secs, err, mh) for r, t, st, secs, err, mh in zip(
            d["measurement_record"], task_index.tolist(), d["status"], d["run_secs"], d["error"], d["mod_hash"])]

    def latencies_of(self, uids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean latency and its standard error (s) of the given record rows, read from the store."""
        labels = self.store.labels()
        return (labels.column("latency").to_numpy()[uids], labels.column("std_error").to_numpy()[uids])

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
        return LabeledPrograms([self.programs[i] for i in idx], self.latencies_of(np.asarray(idx, np.int64))[0])

    def programs_of(self, split: str) -> list[Program]:
        return [self.programs[i] for i in self._split_indices(split)]

    def failed_counts(self, split: str) -> dict[str, int]:
        tasks = set(self.split_tasks[split])
        task_names, task_index = self._task_of_row
        in_split = np.isin(task_index, [k for k, t in enumerate(task_names) if t in tasks])
        counts: dict[str, int] = {}
        for status in np.asarray(self.store.labels().column("status").to_pylist(), dtype=object)[in_split]:
            if status != "ok":
                counts[status] = counts.get(status, 0) + 1
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
