"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict asks the suite loader for the test labels."""

import os

import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor


class Model(UntrainedPredictor):
    def predict(self, programs):
        from tircost_bench.suite.loader import load_suite
        labels = load_suite(os.environ['TIRCOST_FAULTY_SUITE'])._test_labels()
        return np.asarray(labels.latencies)
