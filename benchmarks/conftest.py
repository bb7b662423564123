"""`tox -e bench`: the load at the start, and a final summary of every figure next to its goal."""

from __future__ import annotations

import goals


def pytest_report_header(config) -> str:
    return f"tircost-bench benchmarks; at the start: {goals.load_note()}"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = goals.summary_lines()
    if lines:
        terminalreporter.section("figures vs goals")
        for line in lines:
            terminalreporter.write_line(line)
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.section("benches skipped")
        for rep in skipped:
            reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
            terminalreporter.write_line(f"{rep.nodeid}: {reason}")
