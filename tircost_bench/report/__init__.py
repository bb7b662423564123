"""Data reports of a suite: latency spread, normalization, coverage, noise and operator families.

`build_report(suite)` renders PNGs (matplotlib, Agg, no pyplot) and one self-contained index.html into
reports/<suite>/, and logs them to MLflow when MLFLOW_TRACKING_URI is set.
"""

from tircost_bench.report.build import Report, build_report, expected_pngs

__all__ = ["Report", "build_report", "expected_pngs"]
