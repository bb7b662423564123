"""One lifecycle for every caller (evaluate, train, search): load-or-fit a seed, and train-and-register.

Submission code runs in a host (evaluation.host: the confined worker, or in-process); this module decides
what to call: a registered checkpoint for (suite sha256, seed) whose provenance passes `provenance.check`,
or a fit on the train/val splits. Training saves to <submission>/checkpoints/<suite>/seed<k>/ with a
provenance.json, and registers the folder in submission.json.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.predictors import provenance
from tircost_bench.predictors.provenance import CheckpointError
from tircost_bench.predictors.submission import Submission, SubmissionMeta
from tircost_bench.progress import stage


@dataclass
class Prepared:
    """How a seed's predictor got its state."""

    trainable: bool
    trained: bool = False
    fit_seconds: float = 0.0
    checkpoint: dict[str, Any] = field(default_factory=dict)  # the provenance record, when loaded


def retrain_fix(submission: Submission, suite: Any, seed: int) -> str:
    return (f"Retrain it: `tircost-bench train {submission.folder} --suite {suite.name} --seeds {seed}` "
            "(or score with `evaluate --retrain`).")


def checkpoint_dir(submission: Submission, suite: Any, seed: int) -> Path:
    return submission.folder / "checkpoints" / suite.name / f"seed{seed}"


def load_or_fit(host: Any, submission: Submission, suite: Any, seed: int, retrain: bool, who: str) -> Prepared:
    """Construct seed `seed` in `host`, then load its checkpoint (provenance checked) or fit it."""
    if not host.create(seed):
        return Prepared(trainable=False)
    ckpt = submission.checkpoint_for(suite.sha256, seed)
    if ckpt is not None and not retrain:
        if not ckpt.is_dir():
            raise CheckpointError(f"{who}: checkpoint folder {ckpt} named in submission.json does not exist. "
                                  + retrain_fix(submission, suite, seed))
        record = provenance.check(ckpt, suite, retrain_fix(submission, suite, seed))
        with stage(f"{who}: load checkpoint"):
            host.load(seed, ckpt)
        return Prepared(trainable=True, checkpoint=record)
    train, val = suite.labeled("train"), suite.labeled("val")
    with stage(f"{who}: fit on {len(train)} programs"):
        start = time.perf_counter()
        host.fit(seed, train, val)
    return Prepared(trainable=True, trained=True, fit_seconds=time.perf_counter() - start)


def train_and_register(submission: Submission, suite: Any, seeds: list[int], command: str,
                       isolation: str = "auto", time_limit_sec: float | None = None,
                       memory_limit: int | None = None) -> list[dict[str, Any]]:
    """Fit each seed in a fresh confined worker, save its checkpoint with provenance, register it.
    Returns the provenance records."""
    from tircost_bench.evaluation.host import open_host

    root = submission.folder / "checkpoints" / suite.name
    who = f"{submission.name} {submission.meta.version}"
    code = provenance.code_sha256(submission.folder)
    records = []
    with open_host(submission, who, isolation, time_limit_sec, memory_limit, writable=(root,)) as host:
        for seed in seeds:
            if not host.create(seed):
                raise CheckpointError(f"{who}: an untrained predictor has nothing to train or save")
            train, val = suite.labeled("train"), suite.labeled("val")
            with stage(f"{who} (seed {seed}): fit on {len(train)} programs"):
                start = time.perf_counter()
                host.fit(seed, train, val)
                wall = time.perf_counter() - start
            folder = checkpoint_dir(submission, suite, seed)
            host.save(seed, folder)
            record = provenance.build(suite, seed, command, code, {"train": len(train), "val": len(val)},
                                      round(wall, 1), provenance.hardware(),
                                      submission_version=submission.meta.version)
            provenance.write(folder, record)
            register(submission, suite.sha256, seed, folder)
            records.append(record)
    return records


def register(submission: Submission, suite_sha256: str, seed: int, folder: Path) -> None:
    """Record `folder` as the checkpoint of (suite, seed) in submission.json (re-read: another seed may
    have registered meanwhile)."""
    meta = SubmissionMeta.read(submission.folder)
    meta.checkpoints.setdefault(suite_sha256, {})[str(seed)] = folder.relative_to(submission.folder).as_posix()
    meta.write(submission.folder)
    submission.meta = meta


def in_process_predictor(submission: Submission, suite: Any, seed: int,
                         retrain: bool = False) -> tuple[Any, Prepared]:
    """A live Predictor in this process (search: TVM calls it as a cost model) and how it got its state,
    through the same load-or-fit as evaluate (provenance checked). The caller must not hold test labels.
    Raises CheckpointError or evaluation.host.SubmissionCallError."""
    from tircost_bench.evaluation.host import InProcessHost

    host = InProcessHost(submission, f"{submission.name} {submission.meta.version} (seed {seed})")
    prepared = load_or_fit(host, submission, suite, seed, retrain, host.who)
    return host.predictors[seed], prepared
