"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict returns a 2-D array."""


import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor


class Model(UntrainedPredictor):
    def predict(self, programs):
        return np.ones((len(programs), 2))
