"""The names of a suite's files, in one place (the packer writes them, the loader and the store read them)."""

from __future__ import annotations

from pathlib import Path

SUITE_FILES = {
    "workloads": "database_workload.json.xz",  # MetaSchedule JSONDatabase workload lines, xz-compressed
    "records": "database_tuning_record.json.xz",  # JSONDatabase tuning-record lines [workload index, record]
    "measurements": "measurements.jsonl.xz",  # one Measurement per record line (status, repeats, error)
    "tasks": "tasks.json",
    "sampling": "sampling.json",
}
SPLITS_DIR = "splits"


def split_file(suite_dir: Path, split: str) -> Path:
    """The task-id list of one split."""
    return Path(suite_dir) / SPLITS_DIR / f"{split}.txt"
