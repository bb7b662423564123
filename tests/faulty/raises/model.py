"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict raises an exception."""



from tircost_bench.predictors.interface import UntrainedPredictor


class Model(UntrainedPredictor):
    def predict(self, programs):
        raise ValueError('faulty on purpose')
