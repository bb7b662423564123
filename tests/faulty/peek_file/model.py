"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict opens the suite's measurements file (and hides the refusal)."""

import os

import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor


class Model(UntrainedPredictor):
    def predict(self, programs):
        import lzma
        path = os.path.join(os.environ['TIRCOST_FAULTY_SUITE'], 'measurements.jsonl.xz')
        try:
            with lzma.open(path, 'rt') as f:
                f.read()
        except Exception:  # noqa: BLE001, S110 - hides the refusal on purpose
            pass
        return np.ones(len(programs))
