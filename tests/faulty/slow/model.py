"""Deliberately faulty submission (tests/test_reliability_submissions.py): predict never returns (and swallows ordinary exceptions while it waits)."""



from tircost_bench.predictors.interface import UntrainedPredictor


class Model(UntrainedPredictor):
    def predict(self, programs):
        import time
        while True:
            try:
                time.sleep(0.2)
            except Exception:  # noqa: BLE001, S110 - swallows ordinary exceptions on purpose
                pass
