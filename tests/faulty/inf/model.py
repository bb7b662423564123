"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict returns +inf."""


import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor


class Model(UntrainedPredictor):
    def predict(self, programs):
        out = np.ones(len(programs))
        out[-1] = np.inf
        return out
