"""One progress system for every step longer than a few seconds.

    with stage("predict", total=len(programs)) as bar:
        for chunk in chunks:
            ...
            bar.advance(len(chunk))

In a terminal: a live bar with count, rate and ETA on stderr. Not a terminal (a log, CI): one line when a
stage starts and one when it ends, with its count and seconds. `set_verbosity("quiet")` prints nothing.
Stages nest (an inner stage, e.g. AST graph builds inside predict, shows as its own bar).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_state = threading.local()
VERBOSITY = {"quiet": 0, "normal": 1, "verbose": 2}
_level = 1


def set_verbosity(name: str) -> None:
    global _level
    _level = VERBOSITY[name]


def verbosity() -> int:
    return _level


class Stage:
    """A handle on a running stage: advance it, or set its total once known."""

    def __init__(self, description: str, total: int | None, progress: Any, task: Any) -> None:
        self.description, self.total, self.completed = description, total, 0
        self._progress, self._task = progress, task
        self.start = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self.completed += n
        if self._progress is not None:
            self._progress.update(self._task, advance=n)

    def set_total(self, total: int) -> None:
        self.total = total
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


def _live() -> Any:
    """The process-wide rich Progress (created on first use, shared by nested stages)."""
    progress = getattr(_state, "progress", None)
    if progress is None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TaskProgressColumn(), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
        _state.progress, _state.depth = progress, 0
    return progress


@contextmanager
def stage(description: str, total: int | None = None, enabled: bool = True) -> Iterator[Stage]:
    """Show `description` while the block runs; the block advances the returned Stage."""
    if not enabled or _level == 0:
        yield Stage(description, total, None, None)
        return
    if not sys.stderr.isatty():
        print(f"{description}: started" + (f" ({total})" if total else ""), file=sys.stderr, flush=True)
        st = Stage(description, total, None, None)
        try:
            yield st
        finally:
            count = f"{st.completed}/{st.total}" if st.total else f"{st.completed}"
            print(f"{description}: done, {count} in {st.seconds:.1f} s", file=sys.stderr, flush=True)
        return
    progress = _live()
    if _state.depth == 0:
        progress.start()
    _state.depth += 1
    task = progress.add_task(description, total=total)
    st = Stage(description, total, progress, task)
    try:
        yield st
    finally:
        if st.total:
            progress.update(task, completed=st.total)
        _state.depth -= 1
        if _state.depth == 0:
            progress.stop()
            _state.progress = None
