"""Damaged suites: every fault is a clear SuiteIntegrityError (naming the file and the fix) or a reported
skip (Suite.skipped, counted in the evaluation's results), never a silent wrong score."""

from __future__ import annotations

import json
import lzma
import shutil
from pathlib import Path

import pytest
from conftest import BASELINES

from tircost_bench.evaluation import evaluate
from tircost_bench.suite.labels import read_test_labels
from tircost_bench.suite.loader import Suite
from tircost_bench.suite.manifest import Manifest, SuiteIntegrityError, sha256_file

PACKED = ["database_workload.json.xz", "database_tuning_record.json.xz", "measurements.jsonl.xz", "tasks.json",
          "sampling.json", "splits/train.txt", "splits/val.txt", "splits/test.txt"]


def _copy(small_suite: Suite, tmp_path: Path) -> Path:
    dst = tmp_path / "suite"
    shutil.copytree(small_suite.path, dst)
    return dst


def _rehash(folder: Path) -> None:
    """Re-pack the manifest's digests, as someone who edited the data and re-packed would: verification passes,
    so only the loader's own checks stand between a bad record and a score."""
    manifest = Manifest.read(folder)
    manifest.files = {p.relative_to(folder).as_posix(): sha256_file(p)
                      for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}
    manifest.save(folder)


def _xz(path: Path) -> list[str]:
    with lzma.open(path, "rt") as f:
        return f.read().splitlines()


def _write_xz(path: Path, lines: list[str]) -> None:
    with lzma.open(path, "wt") as f:
        f.writelines(x + "\n" for x in lines)


def test_every_packed_file_is_listed(small_suite):
    assert sorted(small_suite.manifest.files) == sorted(PACKED)


@pytest.mark.parametrize("rel", PACKED)
def test_flipped_byte_in_any_packed_file(rel, small_suite, tmp_path):
    folder = _copy(small_suite, tmp_path)
    path = folder / rel
    data = bytearray(path.read_bytes() or b"\n")  # an empty split file (val of the small suite) gains a byte
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(SuiteIntegrityError) as info:
        Suite(folder)
    message = str(info.value)
    assert f"{rel}: sha256 differs from the manifest" in message
    assert "git checkout" in message and "re-pack" in message  # the fix
    assert sum(f"{other}:" in message for other in PACKED) == 1  # only the damaged file is named


def test_truncated_record_file(small_suite, tmp_path):
    folder = _copy(small_suite, tmp_path)
    path = folder / "database_tuning_record.json.xz"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(SuiteIntegrityError, match=r"database_tuning_record.json.xz: sha256 differs"):
        Suite(folder)
    _rehash(folder)  # the truncated xz stream itself: a clear error, not an EOFError from lzma
    with pytest.raises(SuiteIntegrityError, match=r"database_tuning_record.json.xz cannot be read .*re-pack"):
        Suite(folder)

    # A record file that is complete xz but has lost its last lines.
    folder2 = _copy(small_suite, tmp_path / "b")
    lines = _xz(folder2 / "database_tuning_record.json.xz")
    _write_xz(folder2 / "database_tuning_record.json.xz", lines[:-2])
    _rehash(folder2)
    with pytest.raises(SuiteIntegrityError, match=rf"{len(lines) - 2} records but {len(lines)} measurements"):
        Suite(folder2)


def test_missing_split_file(small_suite, tmp_path):
    folder = _copy(small_suite, tmp_path)
    (folder / "splits" / "val.txt").unlink()
    with pytest.raises(SuiteIntegrityError, match=r"splits/val.txt: missing"):
        Suite(folder)
    _rehash(folder)
    with pytest.raises(SuiteIntegrityError, match=r"splits/val.txt is missing"):
        Suite(folder)


def test_missing_manifest_and_broken_manifest(small_suite, tmp_path):
    folder = _copy(small_suite, tmp_path)
    text = (folder / "manifest.json").read_text()
    (folder / "manifest.json").write_text(text[: len(text) // 2])
    with pytest.raises(SuiteIntegrityError, match=r"manifest.json is not a valid manifest"):
        Suite(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(SuiteIntegrityError, match=r"manifest.json is missing"):
        Suite(folder)


def test_bad_records_are_skipped_and_counted(small_suite, tmp_path):
    """Records naming an unknown workload, an unknown task, a corrupt record line and a corrupt sidecar line
    (all in the test split): the suite loads, each is listed in Suite.skipped, the evaluation scores the
    remaining programs and its counts say how many records were skipped."""
    folder = _copy(small_suite, tmp_path)
    records = _xz(folder / "database_tuning_record.json.xz")
    meas = _xz(folder / "measurements.jsonl.xz")
    test_tasks = set(small_suite.split_tasks["test"])
    ok_test = [i for i, m in enumerate(meas)
               if json.loads(m)["task_id"] in test_tasks and json.loads(m)["status"] == "ok"]
    assert len(ok_test) >= 5
    a, b, c, d = ok_test[:4]
    w, rec = json.loads(records[a])
    records[a] = json.dumps([w + 1000, rec])  # unknown workload
    m = json.loads(meas[b])
    meas[b] = json.dumps({**m, "task_id": "no-such-task-00000000"})  # unknown task
    records[c] = records[c][: len(records[c]) // 2]  # corrupt record line
    meas[d] = meas[d][:-7]  # corrupt sidecar line
    _write_xz(folder / "database_tuning_record.json.xz", records)
    _write_xz(folder / "measurements.jsonl.xz", meas)
    _rehash(folder)

    suite = Suite(folder)
    assert len(suite.skipped) == 4, suite.skipped
    text = "\n".join(suite.skipped)
    assert f"record {a}:" in text and f"record {b}:" in text and f"record {c}:" in text
    assert f"measurement {d}:" in text
    assert len(read_test_labels(suite)) == len(read_test_labels(small_suite)) - 4

    result = evaluate(BASELINES / "random", suite, seeds=1, progress=False)
    assert result.status == "ok"
    assert result.counts.skipped_records == 4
    assert result.counts.test_programs == len(read_test_labels(small_suite)) - 4
