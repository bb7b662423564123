"""End-to-end search (issue 7): tune held-out networks with a submission's cost model vs. TVM's stock ones.

    from tircost_bench.search import SearchConfig, run_search, save_all, publish_search
    result = run_search("submissions/xgboost", "cpu-epyc2", SearchConfig(trials_per_task=64), out_dir=folder)
    save_all(result, folder)                                       # JSON, PNG curves, MLflow run
    publish_search([SearchResult.load(p), ...])                    # leaderboard/cpu-epyc2-search.md/.json

Modules: builder (PyBuilder over a warm pool), curves (measure callback and curve math), timing (seconds
per part), run (orchestration), assemble (results from events, resume), result (the typed SearchResult),
output (JSON, plots, MLflow), publish (deterministic summary files). The protocol: docs/search.md.
TVM is imported lazily.
"""

from tircost_bench.search.curves import Curve, curve_metrics, network_curve, time_to_reference
from tircost_bench.search.output import default_out_dir, save_all
from tircost_bench.search.publish import publish_search, search_summary_markdown
from tircost_bench.search.result import SearchResult, SearchResultError
from tircost_bench.search.run import (
    SearchConfig,
    SearchError,
    SearchTask,
    run_search,
    run_searches,
    suite_search_tasks,
)

__all__ = ["Curve", "SearchConfig", "SearchError", "SearchResult", "SearchResultError", "SearchTask", "curve_metrics",
           "default_out_dir", "network_curve", "publish_search", "run_search", "run_searches", "save_all",
           "search_summary_markdown", "suite_search_tasks", "time_to_reference"]
