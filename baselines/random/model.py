"""Random reference: i.i.d. uniform latencies in (0, 1] seconds, a different stream per seed.

Only the order of the predictions matters to the ranking metrics, so the scale is arbitrary. No training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor


class RandomPredictor(UntrainedPredictor):
    def predict(self, programs: Sequence[Any]) -> np.ndarray:
        # Seeded per call so that predict is reproducible for a given seed; 1 - U keeps it > 0.
        rng = np.random.default_rng([self.seed, 0x7A11])
        return 1.0 - rng.random(len(programs))
