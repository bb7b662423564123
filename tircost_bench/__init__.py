"""tircost-bench: benchmark suites and a leaderboard harness for learned cost models of TVM programs.

The Python API (imported on first use, so `import tircost_bench` stays fast):

    from tircost_bench import evaluate, load_suite, Predictor
    suite = load_suite("cpu-epyc2")                        # a name, or a suite folder
    result = evaluate("submissions/xgboost", suite, seeds=5)
    print(result.aggregate["overall"]["pairwise_accuracy"].mean)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> "module:attribute"
_API = {
    "evaluate": "tircost_bench.evaluation.evaluate:evaluate",
    "evaluate_tracked": "tircost_bench.evaluation.tracking:evaluate_tracked",
    "EvaluationResult": "tircost_bench.evaluation.results:EvaluationResult",
    "EvaluationError": "tircost_bench.evaluation.evaluate:EvaluationError",
    "load_suite": "tircost_bench.suite.loader:load_suite",
    "Suite": "tircost_bench.suite.loader:Suite",
    "list_suites": "tircost_bench.suite.catalog:list_suites",
    "Predictor": "tircost_bench.predictors.interface:Predictor",
    "load_submission": "tircost_bench.predictors.submission:load_submission",
    "Submission": "tircost_bench.predictors.submission:Submission",
    "SubmissionError": "tircost_bench.predictors.submission:SubmissionError",
    "TaskPredictions": "tircost_bench.metrics:TaskPredictions",
    "compute_metrics": "tircost_bench.metrics:compute_metrics",
    "Program": "tircost_bench.representations.program:Program",
    "locations": "tircost_bench.paths:locations",
    "stage": "tircost_bench.progress:stage",
}
__all__ = ["__version__", *_API]  # noqa: PLE0604 - the lazy names, all strings


def __getattr__(name: str) -> Any:
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'tircost_bench' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
