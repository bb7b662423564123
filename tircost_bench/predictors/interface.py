"""What every cost model implements. Latencies are seconds; lower is faster."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tircost_bench.representations.program import Program
from tircost_bench.suite.loader import LabeledPrograms


class Predictor(ABC):
    """A learned (or analytic) cost model.

    The harness constructs it as `cls(seed=..., **parameters)` from the submission's metadata, then calls
    either `fit(train, valid)` or `load(checkpoint_dir)`, then `predict(test programs)`.
    """

    def __init__(self, seed: int = 0, **parameters: object) -> None:
        self.seed = seed
        self.parameters = parameters

    @abstractmethod
    def fit(self, train: LabeledPrograms, valid: LabeledPrograms) -> None:
        """Train on the train split; use valid for early stopping / model selection only."""

    @abstractmethod
    def predict(self, programs: Sequence[Program]) -> np.ndarray:
        """Predicted latency in seconds, float64, one per program, in the same order."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write everything `load` needs into `directory` (it exists)."""

    @abstractmethod
    def load(self, directory: Path) -> None:
        """Restore the state written by `save`."""

    def update(self, programs: Sequence[Program], latencies: np.ndarray) -> None:
        """Online learning during search (optional): new measurements from the tuner. Default: ignore."""

    @property
    def trainable(self) -> bool:
        """False for untrained references (random, roofline): they skip fit and checkpoints."""
        return True


class UntrainedPredictor(Predictor):
    """A reference that needs no training and keeps no state (random, analytic models)."""

    @property
    def trainable(self) -> bool:
        return False

    def fit(self, train: LabeledPrograms, valid: LabeledPrograms) -> None:
        """Nothing to learn."""

    def save(self, directory: Path) -> None:
        """Nothing to save."""

    def load(self, directory: Path) -> None:
        """Nothing to load."""
