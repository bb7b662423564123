"""The predictor interface, submission folders and their registry, and the MetaSchedule adapter."""

from tircost_bench.predictors.interface import Predictor  # noqa: F401
