"""Checkpoint provenance: what a checkpoint was trained on, by which code, and the check before its use.

Every checkpoint folder holds `provenance.json` (schema 1, see docs/submitting.md); `check` refuses a
checkpoint without one, one trained for another suite, or one whose training tasks meet the test split.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

PROVENANCE = "provenance.json"
SCHEMA = 1


class CheckpointError(ValueError):
    """A checkpoint cannot be used; the message names it, the problem and the fix."""


def code_sha256(folder: Path) -> str:
    """sha256 over the submission's *.py files: each relative path (sorted), then its contents."""
    h = hashlib.sha256()
    folder = Path(folder)
    for path in sorted(folder.rglob("*.py"), key=lambda p: p.relative_to(folder).as_posix()):
        if "checkpoints" in path.relative_to(folder).parts or "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def task_ids_sha256(task_ids: dict[str, list[str]]) -> str:
    return hashlib.sha256("\n".join(sorted(task_ids["train"] + task_ids["val"])).encode()).hexdigest()


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"host": platform.node(), "machine": platform.machine(), "cpus": os.cpu_count()}
    try:
        import torch

        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001, S110 - torch absent or broken: the CPU facts still stand
        pass
    return info


def build(suite: Any, seed: int, training_command: str, code_sha: str, n_programs: dict[str, int],
          wall_seconds: float | None, hw: dict[str, Any] | None, reconstructed: bool = False,
          submission_version: str | None = None) -> dict[str, Any]:
    """The provenance record of a checkpoint of `suite` (a Suite) fitted on its train and val splits.
    `submission_version`: the submission's version when it was trained (a later version may keep the
    checkpoint when it changes only predict-time rules; results and searches show which one was used)."""
    task_ids = {s: sorted(suite.split_tasks[s]) for s in ("train", "val")}
    return {"schema": SCHEMA, "seed": seed, **({"submission_version": submission_version} if submission_version else {}),
            "suite": {"name": suite.name, "version": suite.manifest.version, "sha256": suite.sha256},
            "splits": ["train", "val"], "task_ids": task_ids, "task_ids_sha256": task_ids_sha256(task_ids),
            "n_programs": n_programs, "training_command": training_command, "code_sha256": code_sha,
            "wall_seconds": wall_seconds, "hardware": hw,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "reconstructed": reconstructed}


def write(folder: Path, record: dict[str, Any]) -> Path:
    path = Path(folder) / PROVENANCE
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def check(folder: Path, suite: Any, fix: str) -> dict[str, Any]:
    """provenance.json of checkpoint `folder`, verified against `suite`; CheckpointError (ending in `fix`)."""
    path = Path(folder) / PROVENANCE
    if not path.exists():
        raise CheckpointError(f"checkpoint {folder} has no {PROVENANCE}: nothing says what it was trained on. {fix}")
    try:
        record = json.loads(path.read_text())
        sha, task_ids = record["suite"]["sha256"], record["task_ids"]
        trained = {*task_ids["train"], *task_ids["val"]}
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(f"{path} is not a provenance record of schema {SCHEMA} ({err}). {fix}") from None
    if sha != suite.sha256:
        raise CheckpointError(f"checkpoint {folder} was trained for suite sha256 {sha[:12]}..., not {suite.name} "
                              f"{suite.sha256[:12]}.... {fix}")
    if record.get("task_ids_sha256") != task_ids_sha256(task_ids):
        raise CheckpointError(f"{path}: task_ids_sha256 does not match its task_ids (edited by hand?). {fix}")
    leaked = sorted(trained & set(suite.split_tasks["test"]))
    if leaked:
        raise CheckpointError(f"checkpoint {folder} was trained on {len(leaked)} test task(s) of {suite.name} "
                              f"(first {leaked[0]}): it cannot be scored. {fix}")
    return record


def reconstruct(submission: Any, suite: Any) -> list[Path]:
    """Write provenance.json ("reconstructed": true) for each checkpoint of `suite` registered in
    submission.json that has none: task ids from the suite's split files, code_sha256 of the current code,
    the training command from submission.json, wall time and hardware unknown."""
    code = code_sha256(submission.folder)
    n_programs = {s: len(suite.programs_of(s)) for s in ("train", "val")}
    written = []
    for seed, rel in sorted(submission.meta.checkpoints.get(suite.sha256, {}).items()):
        folder = submission.folder / rel
        if folder.is_dir() and not (folder / PROVENANCE).exists():
            written.append(write(folder, build(suite, int(seed), submission.meta.training_command, code,
                                               n_programs, None, None, reconstructed=True)))
    return written
