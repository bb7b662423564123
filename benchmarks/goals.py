"""Figures next to their goals, shared by the benchmarks (`tox -e bench`).

A bench calls `record(...)` for each figure it measures; the line is printed at once and again in the final
"figures vs goals" summary (benchmarks/conftest.py), one line per figure. A missed goal is printed as MISS,
never raised: speed targets live here, not in timed tests. Figures without a goal (ratios against TVM's
stock path, cold times) are printed as info. The machine's load average is printed with the summary: the
machine may be shared, so absolute figures are read with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Figure:
    bench: str
    name: str
    value: float
    unit: str
    at_most: float | None = None
    at_least: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.at_most is not None:
            return "PASS" if self.value <= self.at_most else "MISS"
        if self.at_least is not None:
            return "PASS" if self.value >= self.at_least else "MISS"
        return "info"

    @property
    def goal(self) -> str:
        if self.at_most is not None:
            return f"<= {self.at_most:g} {self.unit}"
        if self.at_least is not None:
            return f">= {self.at_least:g} {self.unit}"
        return ""

    def line(self) -> str:
        value = f"{self.value:.2f}" if abs(self.value) < 100 else f"{self.value:.0f}"
        note = f"  ({self.note})" if self.note else ""
        return f"{self.verdict:4s}  {self.bench:16s} {self.name:44s} {value:>9s} {self.unit:10s} {self.goal:16s}{note}"


FIGURES: list[Figure] = []


def record(bench: str, name: str, value: float, unit: str, *, at_most: float | None = None,
           at_least: float | None = None, note: str = "") -> Figure:
    """Keep a figure for the summary and print it now (pass/miss next to the goal, or info)."""
    fig = Figure(bench, name, float(value), unit, at_most, at_least, note)
    FIGURES.append(fig)
    print(f"  -> {fig.line()}", flush=True)
    return fig


def load_note() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}, {os.cpu_count()} cores"


def summary_lines() -> list[str]:
    if not FIGURES:
        return []
    missed = sum(f.verdict == "MISS" for f in FIGURES)
    goals = sum(f.verdict != "info" for f in FIGURES)
    return ([f"{'':4s}  {'bench':16s} {'figure':44s} {'value':>9s} {'unit':10s} {'goal':16s}", *(f.line() for f in FIGURES),
             f"{goals - missed} of {goals} goals met, {missed} missed; at the end: {load_note()}"])


def cli(*args: str) -> list[str]:
    """A `tircost-bench` command line with the CLI of this interpreter's environment."""
    import sys
    from pathlib import Path

    return [str(Path(sys.executable).parent / "tircost-bench"), *args]


def timed_run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of a fresh process, as a user runs it; its stderr tail in the error if it fails."""
    import subprocess
    import time

    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
    wall = time.perf_counter() - start
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}:\n{out.stderr[-3000:]}")
    return wall


def as_from_a_shell(monkeypatch) -> None:
    """A script bench run under pytest sees the user's cache and store, as from a shell (earlier benches point
    TIRCOST_CACHE_DIR/TIRCOST_STORE_DIR at their own folders); the script sets its cold caches itself, and
    monkeypatch restores the environment after the test."""
    for name in ("TIRCOST_CACHE_DIR", "TIRCOST_STORE_DIR"):
        monkeypatch.delenv(name, raising=False)
