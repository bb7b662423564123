"""One progress system for every step longer than a few seconds.

    with stage("predict", total=len(programs)) as bar:
        for chunk in chunks:
            ...
            bar.advance(len(chunk))

In a terminal: a live bar on stderr with count, percentage, elapsed time and ETA (a moving pulse while the
total is unknown). Not a terminal (a log, CI, a worker's pipe): one line when a stage starts and one when it
ends, with its count and seconds. `set_verbosity("quiet")` prints nothing. Stages nest (an inner stage,
e.g. AST graph builds inside predict, shows as its own bar) and may be used from threads: one live display
per process. The verbosity travels to subprocesses in TIRCOST_PROGRESS; a process that waits on a child
drawing its own bars on the same terminal wraps the wait in `handoff()`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
VERBOSITY = {"quiet": 0, "normal": 1, "verbose": 2}
ENV = "TIRCOST_PROGRESS"
_level = VERBOSITY.get(os.environ.get(ENV, "normal"), 1)
_lock = threading.Lock()
_live: dict[str, Any] = {"progress": None, "depth": 0}


def set_verbosity(name: str) -> None:
    """quiet | normal | verbose, for this process and the subprocesses it starts."""
    global _level
    _level = VERBOSITY[name]
    os.environ[ENV] = name


def verbosity() -> int:
    return _level


class Stage:
    """A handle on a running stage: advance it, or set its total once known."""

    def __init__(self, description: str, total: int | None, progress: Any = None, task: Any = None) -> None:
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

    def describe(self, description: str) -> None:
        """Change the text shown (e.g. the epoch's loss)."""
        self.description = description
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


def _new_progress() -> Any:
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

    return Progress(TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
                    TaskProgressColumn(), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=False)


def _line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def _logged(description: str, total: int | None) -> Iterator[Stage]:
    _line(f"{description}: started" + (f" ({total})" if total else ""))
    st = Stage(description, total)
    try:
        yield st
    except BaseException:
        _line(f"{st.description}: stopped after {st.seconds:.1f} s")
        raise
    count = f", {st.completed}/{st.total}" if st.total else f", {st.completed}" if st.completed else ""
    _line(f"{st.description}: done{count} in {st.seconds:.1f} s")


@contextmanager
def _bar(description: str, total: int | None) -> Iterator[Stage]:
    with _lock:
        if _live["progress"] is None:
            _live["progress"] = _new_progress()
            _live["progress"].start()
        progress = _live["progress"]
        _live["depth"] += 1
        task = progress.add_task(description, total=total)
    st = Stage(description, total, progress, task)
    try:
        yield st
    finally:
        with _lock:
            if st.total:
                progress.update(task, completed=max(st.completed, st.total) if st.completed else st.total)
            else:  # a stage without a count ends as a full bar
                progress.update(task, total=1, completed=1)
            _live["depth"] -= 1
            if _live["depth"] == 0:
                progress.stop()
                _live["progress"] = None


@contextmanager
def stage(description: str, total: int | None = None, enabled: bool = True) -> Iterator[Stage]:
    """Show `description` while the block runs; the block advances the returned Stage."""
    if not enabled or _level == 0:
        yield Stage(description, total)
    elif sys.stderr.isatty():
        with _bar(description, total) as st:
            yield st
    else:
        with _logged(description, total) as st:
            yield st


@contextmanager
def handoff() -> Iterator[None]:
    """For a block that waits on another process drawing its own stages on this terminal (an isolated
    worker inherits stderr): this process's live display stops, left as printed, and resumes after, so the
    two never redraw over each other."""
    with _lock:
        progress = _live["progress"]
        if progress is not None:
            progress.stop()
    try:
        yield
    finally:
        with _lock:
            if progress is not None and _live["progress"] is progress:
                progress.start()


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """for x in track(items, "fit epochs"): a stage advanced by one per item."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with stage(description, total=total) as st:
        for item in items:
            yield item
            st.advance()
