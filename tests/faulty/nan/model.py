"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict returns NaN."""


import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor


class Model(UntrainedPredictor):
    def predict(self, programs):
        return np.full(len(programs), np.nan)
