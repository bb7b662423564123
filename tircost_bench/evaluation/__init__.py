"""Scoring submissions: evaluate over seeds, the versioned results file, plots, and MLflow tracking."""

from tircost_bench.evaluation.evaluate import (  # noqa: F401
    EvaluationError,
    InvalidPredictionsError,
    evaluate,
    validate_predictions,
)
from tircost_bench.evaluation.results import RESULTS_SCHEMA, EvaluationResult  # noqa: F401
