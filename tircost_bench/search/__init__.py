"""End-to-end search (issue 7): tune held-out networks with a submission's cost model vs. TVM's stock ones.

    from tircost_bench.search import SearchConfig, run_search, save_all, publish_search
    results = run_search("submissions/xgboost", "cpu-epyc2", SearchConfig(budget=2000))
    save_all(results, Path("search-results/cpu-epyc2/xgboost"))   # JSON, PNG curves, MLflow run
    publish_search([results, ...])                                 # leaderboard/cpu-epyc2-search.md/.json

Modules: builder (PyBuilder over a warm pool), curves (measure callback and curve math), run
(orchestration), output (JSON, plots, MLflow), publish (deterministic summary files). TVM is imported lazily.
"""

from tircost_bench.search.curves import Curve, curve_metrics, network_curve, time_to_reference
from tircost_bench.search.output import default_out_dir, save_all
from tircost_bench.search.publish import publish_search, search_summary_markdown
from tircost_bench.search.run import SearchConfig, SearchError, SearchTask, run_search, suite_search_tasks

__all__ = ["Curve", "SearchConfig", "SearchError", "SearchTask", "curve_metrics", "default_out_dir", "network_curve",
           "publish_search", "run_search", "save_all", "search_summary_markdown", "suite_search_tasks",
           "time_to_reference"]
