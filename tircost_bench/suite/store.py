"""The suite store: a columnar copy of a packed suite (Arrow IPC, memory-mapped), built once into the cache.

The shipped xz files stay the suite (their sha256 is its identity); the store is derived from them, keyed by
the digest of the files it was built from, and checked against its own sha256 on every open (rebuilt when
missing or corrupt). Two files, so that what submissions may see and what holds latencies stay apart:

- programs.arrow: per record line, task id, workload index, whether it is a scorable program, and the
  tuning record as compact JSON with its run_secs slot blanked (parsed only when a representation needs it);
- labels.arrow: status, repeats, mean latency, standard error, error, mod hash, and what it takes to
  export the JSONDatabase lines byte for byte (the run_secs slot, the raw line where it does not re-serialize).
"""

from __future__ import annotations

import json
import lzma
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from tircost_bench.records import Measurement
from tircost_bench.suite.manifest import sha256_file

STORE_SCHEMA = 1
BATCH_ROWS = 8192  # fixed batch size: row i lives in batch i // BATCH_ROWS
PROGRAMS = "programs.arrow"
LABELS = "labels.arrow"
WORKLOADS = "workloads.arrow"
META = "store.json"
CORRUPT = "corrupt"  # status of a measurement line that could not be read


class StoreCorrupt(RuntimeError):
    """The cached store is missing a file or differs from its checksum: it is rebuilt from the suite."""


@dataclass
class StoreMeta:
    schema: int
    key: str  # digest of the suite files the store was built from
    rows: int
    workloads: int
    skipped: list[str]  # corrupt records, reported by the loader
    files: dict[str, str] = field(default_factory=dict)  # store file -> sha256


def _compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _open_text(path: Path) -> IO[str]:
    return lzma.open(path, "rt") if path.suffix == ".xz" else open(path)


def stream_lines(path: Path) -> Iterator[str]:
    """Lines of an xz or plain file, without their newline, one at a time (a suite is never read whole)."""
    with _open_text(path) as f:
        for line in f:
            yield line.rstrip("\n")


def _stats(secs: list[float]) -> tuple[float, float]:
    if not secs:
        return float("nan"), float("nan")
    a = np.asarray(secs, dtype=np.float64)
    se = a.std(ddof=1) / np.sqrt(a.size) if a.size > 1 else float("nan")
    return float(a.mean()), float(se)


class _Rows:
    """Column buffers of one batch of rows."""

    def __init__(self) -> None:
        self.programs: dict[str, list[Any]] = {"task_id": [], "workload": [], "program": [], "record": []}
        self.labels: dict[str, list[Any]] = {k: [] for k in (
            "status", "run_secs", "latency", "std_error", "error", "mod_hash", "measurement_record",
            "record_run_secs", "raw_record", "raw_measurement")}

    def __len__(self) -> int:
        return len(self.programs["task_id"])


def _schemas() -> tuple[Any, Any]:
    import pyarrow as pa

    programs = pa.schema([("task_id", pa.string()), ("workload", pa.int32()), ("program", pa.bool_()),
                          ("record", pa.large_string())])
    labels = pa.schema([("status", pa.string()), ("run_secs", pa.list_(pa.float64())),
                        ("latency", pa.float64()), ("std_error", pa.float64()), ("error", pa.string()),
                        ("mod_hash", pa.string()), ("measurement_record", pa.int64()),
                        ("record_run_secs", pa.string()), ("raw_record", pa.large_string()),
                        ("raw_measurement", pa.string())])
    return programs, labels


def _add_row(rows: _Rows, i: int, line: str, meas_line: str, tasks: set[str], workloads: list[str],
             task_of_workload: dict[int, str], skipped: list[str]) -> None:
    """One record line and its sidecar line; a corrupt one is kept as a row (export stays lossless) and
    reported in `skipped`, never scored."""
    meas: Measurement | None = None
    problem = ""
    try:
        meas = Measurement.from_json(json.loads(meas_line))
    except (ValueError, TypeError) as err:
        problem = f"measurement {i}: {type(err).__name__}: {err}"
    w_index, rec, run_secs_text, raw = -1, None, None, line
    if not problem:
        try:
            w_index, rec = json.loads(line)
            if meas.task_id not in tasks:
                raise KeyError(meas.task_id)
            if not 0 <= w_index < len(workloads):
                raise IndexError(f"workload index {w_index} out of range (the suite has {len(workloads)})")
            if task_of_workload.setdefault(w_index, meas.task_id) != meas.task_id:
                raise ValueError(f"workload {w_index} belongs to {task_of_workload[w_index]}")
        except (ValueError, KeyError, IndexError, TypeError) as err:
            problem = f"record {i}: {err}"
            w_index, rec = -1, None
    if problem:
        skipped.append(problem)
    if rec is not None:
        # Each element encoded once (json.dumps of a list is its items' encodings joined by ","): the record
        # with run_secs blanked, and the check that the line re-serializes to itself (else it is kept raw).
        parts = [_compact(x) for x in rec]
        run_secs_text = parts[1]
        record = f"[{_compact(w_index)},[{','.join([parts[0], 'null', *parts[2:]])}]]"
        raw = None if f"[{_compact(w_index)},[{','.join(parts)}]]" == line else line
    else:
        record = ""
    ok = meas is not None and not problem
    secs = meas.run_secs if ok else []
    lat, se = _stats(secs) if ok and meas.ok else (float("nan"), float("nan"))
    p, lab = rows.programs, rows.labels
    p["task_id"].append(meas.task_id if meas is not None else "")
    p["workload"].append(w_index)
    p["program"].append(bool(ok and meas.ok))
    p["record"].append(record)
    lab["status"].append(meas.status if meas is not None else CORRUPT)
    lab["run_secs"].append(list(secs) if meas is not None else [])
    lab["latency"].append(lat)
    lab["std_error"].append(se)
    lab["error"].append(meas.error if meas is not None else "")
    lab["mod_hash"].append(meas.mod_hash if meas is not None else "")
    lab["measurement_record"].append(meas.record if meas is not None else i)
    lab["record_run_secs"].append(run_secs_text)
    lab["raw_record"].append(raw)
    lab["raw_measurement"].append(meas_line)


def build_store(out_dir: Path, key: str, workload_lines: Iterable[str], record_lines: Iterable[str],
                measurement_lines: Iterable[str], task_ids: set[str], progress: Any = None) -> StoreMeta:
    """Stream a JSONDatabase (workload and record lines) and its measurement sidecar into a store in `out_dir`.

    Raises ValueError when the record and measurement files differ in length (the caller names the fix).
    """
    import pyarrow as pa
    from pyarrow import ipc

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workloads = list(workload_lines)
    wl = pa.table({"line": pa.array(workloads, pa.large_string())})
    with ipc.new_file(out_dir / WORKLOADS, wl.schema) as w:
        w.write_table(wl)
    p_schema, l_schema = _schemas()
    skipped: list[str] = []
    task_of_workload: dict[int, str] = {}
    n = 0
    with ipc.new_file(out_dir / PROGRAMS, p_schema) as pw, ipc.new_file(out_dir / LABELS, l_schema) as lw:
        rows = _Rows()

        def flush() -> None:
            nonlocal rows
            if len(rows):
                pw.write_batch(pa.record_batch(rows.programs, schema=p_schema))
                lw.write_batch(pa.record_batch(rows.labels, schema=l_schema))
                if progress is not None:
                    progress.advance(len(rows))
            rows = _Rows()

        records, measurements = iter(record_lines), iter(measurement_lines)
        for line in records:
            meas_line = next(measurements, None)
            if meas_line is None:
                raise ValueError(f"{n + 1 + sum(1 for _ in records)} records but {n} measurements")
            _add_row(rows, n, line, meas_line, task_ids, workloads, task_of_workload, skipped)
            n += 1
            if len(rows) == BATCH_ROWS:
                flush()
        rest = sum(1 for _ in measurements)
        if rest:
            raise ValueError(f"{n} records but {n + rest} measurements")
        flush()
    meta = StoreMeta(STORE_SCHEMA, key, n, len(workloads), skipped,
                     {name: sha256_file(out_dir / name) for name in (PROGRAMS, LABELS, WORKLOADS)})
    (out_dir / META).write_text(json.dumps(asdict(meta), indent=1) + "\n")
    return meta


def _map(path: Path) -> Any:
    import pyarrow as pa
    from pyarrow import ipc

    return ipc.open_file(pa.memory_map(str(path), "r")).read_all()


class SuiteStore:
    """An opened store: memory-mapped tables; rows are read when asked for."""

    def __init__(self, folder: Path, verify: bool = True) -> None:
        self.folder = Path(folder)
        try:
            d = json.loads((self.folder / META).read_text())
            self.meta = StoreMeta(**d)
        except (OSError, ValueError, TypeError) as err:
            raise StoreCorrupt(f"{self.folder / META}: {err}") from None
        if self.meta.schema != STORE_SCHEMA:
            raise StoreCorrupt(f"store schema {self.meta.schema} is not {STORE_SCHEMA}")
        if verify:
            for name, digest in self.meta.files.items():
                path = self.folder / name
                if not path.exists() or sha256_file(path) != digest:
                    raise StoreCorrupt(f"{path} differs from its checksum")
        self.programs = _map(self.folder / PROGRAMS)
        self._records = [c for c in self.programs.column("record").chunks]
        self._workloads = _map(self.folder / WORKLOADS).column("line").combine_chunks()
        self._labels: Any = None

    @property
    def rows(self) -> int:
        return self.meta.rows

    @property
    def label_file(self) -> Path:
        return self.folder / LABELS

    def labels(self) -> Any:
        """The labels table (latencies of every split; for the evaluator and train/val labels)."""
        if self._labels is None:
            self._labels = _map(self.label_file)
        return self._labels

    def record_json(self, row: int) -> list[Any]:
        """The tuning record of one row, run_secs blanked (parsed on demand: the trace is the bulk)."""
        return json.loads(self._records[row // BATCH_ROWS][row % BATCH_ROWS].as_py())[1]

    def workload_line(self, index: int) -> list[Any]:
        return json.loads(self._workloads[index].as_py())

    def column(self, name: str, table: str = "programs") -> np.ndarray:
        t = self.programs if table == "programs" else self.labels()
        return t.column(name).to_numpy()

    def export_jsondatabase(self, out_dir: Path) -> tuple[Path, Path, Path]:
        """Write the MetaSchedule JSONDatabase files (and the measurement sidecar) back, byte for byte."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = (out_dir / "database_workload.json", out_dir / "database_tuning_record.json",
                 out_dir / "measurements.jsonl")
        with open(paths[0], "w") as f:
            f.writelines(f"{line}\n" for line in self._workloads.to_pylist())
        labels = self.labels()
        with open(paths[1], "w") as fr, open(paths[2], "w") as fm:
            for pb, lb in zip(self.programs.to_batches(), labels.to_batches()):
                cols = lb.to_pydict()
                for rec, secs, raw, meas in zip(pb.column("record").to_pylist(), cols["record_run_secs"],
                                                cols["raw_record"], cols["raw_measurement"]):
                    if raw is None:
                        w, blank = json.loads(rec)
                        blank[1] = json.loads(secs)
                        raw = _compact([w, blank])
                    fr.write(raw + "\n")
                    fm.write(meas + "\n")
        return paths


def open_or_build(root: Path, key: str, build: Any) -> SuiteStore:
    """The store for `key` under `root`: opened and verified, or (missing or corrupt) built by `build(dir)`
    into a fresh folder that is renamed into place. Concurrent builders: the first rename wins, the others
    open the winner's store; a corrupt one in the way is removed."""
    folder = Path(root) / key
    try:
        return SuiteStore(folder)
    except StoreCorrupt:
        pass
    Path(root).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=root))
    try:
        build(tmp)
        for _ in range(3):
            try:
                os.rename(tmp, folder)  # fails while a folder is there
                break
            except OSError:
                try:
                    return SuiteStore(folder)  # another process's store, complete and verified
                except StoreCorrupt:
                    shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return SuiteStore(folder)
