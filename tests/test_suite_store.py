"""The suite store: a lossless columnar copy of the packed JSONDatabase, checked on open, rebuilt when damaged."""

from __future__ import annotations

import json
import lzma

import numpy as np

from tircost_bench.suite.files import SUITE_FILES
from tircost_bench.suite.labels import read_test_labels
from tircost_bench.suite.loader import Suite
from tircost_bench.suite.store import PROGRAMS, SuiteStore, build_store, stream_lines


def _xz_text(path) -> str:
    with lzma.open(path, "rt") as f:
        return f.read()


def test_export_is_byte_identical_and_tvm_reads_it(small_suite, tmp_path):
    import tvm.s_tir.meta_schedule as ms

    workloads, records, measurements = small_suite.store.export_jsondatabase(tmp_path / "db")
    for exported, name in ((workloads, "workloads"), (records, "records"), (measurements, "measurements")):
        assert exported.read_text() == _xz_text(small_suite.path / SUITE_FILES[name]), name

    db = ms.database.JSONDatabase(path_workload=str(workloads), path_tuning_record=str(records),
                                  allow_missing=False)
    tvm_records = db.get_all_tuning_records()
    lines = records.read_text().splitlines()
    assert len(tvm_records) == len(lines) == small_suite.store.rows
    # TVM's own records carry the traces and latencies of the exported lines.
    ours = {json.dumps(json.loads(x)[1][0], sort_keys=True) for x in lines}
    theirs = {json.dumps(json.loads(json.dumps(r.as_json()[0])), sort_keys=True) for r in tvm_records}
    assert len(ours & theirs) >= len(ours) - 1, "TVM decodes other traces than the store exported"

    # Importing the JSONDatabase back gives the same store, row for row.
    store_dir = tmp_path / "reimported"
    build_store(store_dir, "x", stream_lines(workloads), stream_lines(records), stream_lines(measurements),
                set(small_suite.tasks))
    again = SuiteStore(store_dir)
    assert again.programs.equals(small_suite.store.programs)
    floats = ["latency", "std_error"]  # NaN for failed programs: compared NaN-aware
    assert again.labels().drop_columns(floats).equals(small_suite.store.labels().drop_columns(floats))
    for name in floats:
        np.testing.assert_array_equal(again.column(name, "labels"), small_suite.store.column(name, "labels"))
    paths = again.export_jsondatabase(tmp_path / "db2")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in (workloads, records, measurements)]


def test_labels_come_from_the_store(small_suite):
    labels = read_test_labels(small_suite)
    by_uid = {m.record: m for m in small_suite.measurements}
    assert len(labels) == len(small_suite.programs_of("test")) > 0
    for uid, lat, se in zip(labels.uids, labels.latencies, labels.std_errors):
        secs = np.asarray(by_uid[uid].run_secs)
        assert lat == secs.mean()
        assert np.isnan(se) if secs.size < 2 else np.isclose(se, secs.std(ddof=1) / np.sqrt(secs.size))
    # Programs hold no latency: their record's run_secs slot is blank.
    assert all(p._record_json[1] is None for p in small_suite.programs_of("test"))


def test_damaged_store_is_rebuilt(small_suite, tmp_path, monkeypatch):
    monkeypatch.setenv("TIRCOST_CACHE_DIR", str(tmp_path))  # a store of its own (the session's stays intact)
    first = Suite(small_suite.path).store
    assert first.folder.is_relative_to(tmp_path)
    path = first.folder / PROGRAMS
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    (first.folder / "tmp").write_bytes(bytes(data))
    (first.folder / "tmp").replace(path)  # a new file: the first store's mapping keeps the old bytes
    suite = Suite(small_suite.path)
    assert suite.store.folder == first.folder
    assert suite.store.programs.equals(small_suite.store.programs)
    assert len(suite.programs) == len(small_suite.programs)
    assert read_test_labels(suite).latencies.tolist() == read_test_labels(small_suite).latencies.tolist()


def test_programs_pickle_without_the_store(small_suite):
    import pickle

    p = small_suite.programs_of("test")[0]
    data = pickle.dumps(p)
    assert b"pyarrow" not in data and len(data) < 200_000
    q = pickle.loads(data)
    assert (q.uid, q.task_id, q.networks) == (p.uid, p.task_id, p.networks)
    assert q.trace_json == p.trace_json and q._record_json[1] is None
    assert q.workload._line == p.workload._line
