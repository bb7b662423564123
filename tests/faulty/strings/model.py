"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict returns strings."""


import numpy as np

from tircost_bench.predictors.interface import Predictor


class Model(Predictor):
    trainable = property(lambda self: False)

    def fit(self, train, valid):
        pass

    def save(self, directory):
        pass

    def load(self, directory):
        pass

    def predict(self, programs):
        return np.array(['fast'] * len(programs))
