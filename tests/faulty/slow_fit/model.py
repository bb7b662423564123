"""Deliberately faulty submission (tests/test_reliability_submissions.py): fit runs for ten minutes."""


import numpy as np

from tircost_bench.predictors.interface import Predictor


class Model(Predictor):
    trainable = property(lambda self: True)

    def fit(self, train, valid):
        import time
        time.sleep(600)

    def save(self, directory):
        pass

    def load(self, directory):
        pass

    def predict(self, programs):
        return np.ones(len(programs))
