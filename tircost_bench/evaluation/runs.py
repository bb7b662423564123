"""Run folders: the results file of one evaluation and its compressed predictions, side by side.

Every `evaluate` writes one into the user's runs folder (paths.runs_dir(), git-ignored); a published run is
the same pair of files committed under leaderboard/results/SUITE/SUBMISSION/VERSION/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tircost_bench.evaluation.results import EvaluationResult, PredictionsRef
from tircost_bench.suite.manifest import sha256_file as file_sha256

RESULTS_FILE = "results.json"
PREDICTIONS_FILE = "predictions.npz"


@dataclass(frozen=True)
class SavedPredictions:
    uids: np.ndarray  # int64 (n,), test order
    seeds: np.ndarray  # int64 (k,)
    predicted: np.ndarray  # float64 (k, n), seconds


def predictions_sha256(predicted: np.ndarray) -> str:
    """Digest of one seed's predictions: equal digests mean bit-identical predictions."""
    return hashlib.sha256(np.ascontiguousarray(predicted, dtype="<f8").tobytes()).hexdigest()


def write_predictions(path: Path, uids: Sequence[int], seeds: Sequence[int], predicted: Sequence[np.ndarray]) -> None:
    np.savez_compressed(path, uids=np.asarray(uids, dtype=np.int64), seeds=np.asarray(seeds, dtype=np.int64),
                        predicted=np.asarray(np.stack(list(predicted)) if len(predicted) else
                                             np.zeros((0, len(uids))), dtype=np.float64))


def read_predictions(path: Path) -> SavedPredictions:
    with np.load(path, allow_pickle=False) as z:
        return SavedPredictions(z["uids"], z["seeds"], z["predicted"])


def attach_predictions(result: EvaluationResult, folder: Path, uids: Sequence[int],
                       kept: Sequence[tuple[int, np.ndarray]]) -> None:
    """Write folder/predictions.npz from (seed, predictions) pairs; record its digest and each seed's."""
    by_seed = dict(kept)
    for s in result.seeds:
        if s.seed in by_seed:
            s.predictions_sha256 = predictions_sha256(by_seed[s.seed])
    if not kept:
        result.predictions = None
        return
    path = folder / PREDICTIONS_FILE
    write_predictions(path, uids, [k for k, _ in kept], [p for _, p in kept])
    result.predictions = PredictionsRef(PREDICTIONS_FILE, file_sha256(path), len(uids))


def new_run_folder(result: EvaluationResult, root: Path | None = None) -> Path:
    """runs_dir()/SUITE/SUBMISSION/VERSION/<UTC time>-<random>: unique even for concurrent evaluations."""
    from tircost_bench.paths import runs_dir

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    folder = (Path(root) if root else runs_dir()) / result.suite.name / result.submission.name / \
        result.submission.version / f"{stamp}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    return folder


def save_run(result: EvaluationResult, uids: Sequence[int], kept: Sequence[tuple[int, np.ndarray]],
             root: Path | None = None) -> Path:
    """A new run folder holding results.json and predictions.npz; returns the results file's path."""
    folder = new_run_folder(result, root)
    attach_predictions(result, folder, uids, kept)
    result.save(folder / RESULTS_FILE)
    return folder / RESULTS_FILE


def predictions_path(results_path: Path, result: EvaluationResult) -> Path | None:
    """The predictions file next to a results file, or None when the run kept none."""
    return results_path.parent / result.predictions.file if result.predictions else None
