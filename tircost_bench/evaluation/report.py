"""Console summary of an EvaluationResult (the `tircost-bench evaluate` table)."""

from __future__ import annotations

from tircost_bench.evaluation.results import EvaluationResult


def print_result(result: EvaluationResult, run_id: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    sub, suite, c = result.submission, result.suite, result.counts
    table = Table(title=f"{sub.name} {sub.version} on {suite.name} v{suite.version} "
                        f"({len(result.seeds)} seeds, {c.test_tasks} tasks, {c.test_programs} programs)")
    table.add_column("metric")
    table.add_column("mean ± std", justify="right")
    table.add_column("weighted", justify="right")
    for metric, stat in result.aggregate.get("overall", {}).items():
        weighted = result.stat(metric, "weighted")
        table.add_row(metric, str(stat), str(weighted) if weighted else "")
    console = Console()
    console.print(table)
    failed = ", ".join(f"{k} {v}" for k, v in c.failed_programs.items()) or "none"
    fit = sum(s.fit_seconds for s in result.seeds)
    pred = sum(s.predict_seconds for s in result.seeds)
    console.print(f"failed test programs (excluded): {failed}; fit {fit:.1f}s, predict {pred:.1f}s in total; "
                  f"isolation {result.isolation or 'unknown'}"
                  + (f"; MLflow run {run_id}" if run_id else ""))
