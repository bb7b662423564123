"""Guards around submission code: a per-call time limit and a refusal to read the test labels.

`guard(who, what, time_limit_sec, protected)` wraps one call into a submission (fit, load, predict):

- **Time limit.** SIGALRM (a real-time interval timer) in the main thread raises `_Deadline`, a
  BaseException, so a submission's `except Exception:` cannot swallow it; the timer keeps firing every
  second after the deadline until the call unwinds. A call that blocks inside C code without returning to
  the interpreter is only stopped when it comes back to Python (documented limitation; run untrusted code
  in a container with a wall-clock limit as well). Off the main thread no timer is set.
- **Test labels.** A Python audit hook (installed once per process, active only while submission code
  runs) refuses to open the suite's label-bearing files (measurements sidecar and tuning records, which
  carry run_secs) and refuses `Suite._test_labels()` (the loader raises the audit event
  "tircost_bench.test_labels"). This stops honest mistakes and casual cheating; it is not a security
  boundary against a determined submission that walks the interpreter's memory.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LABEL_EVENT = "tircost_bench.test_labels"  # sys.audit()ed by Suite._test_labels
LABEL_FILES = ("measurements.jsonl.xz", "database_tuning_record.json.xz")


class TestLabelsAccessError(PermissionError):
    """Submission code tried to read the test labels."""

    __test__ = False  # not a pytest test class


class TimeLimitExceeded(RuntimeError):
    """A submission call ran past its time limit."""


class _Deadline(BaseException):
    """Raised by the alarm handler inside submission code (BaseException: `except Exception` can't eat it)."""


_state = threading.local()
_installed = False
_lock = threading.Lock()


def _protected() -> tuple[frozenset[str], bool] | None:
    return getattr(_state, "protected", None)


def _hook(event: str, args: tuple) -> None:
    if event != "open" and event != LABEL_EVENT and event != "subprocess.Popen":
        return
    active = _protected()
    if active is None:
        return
    paths, _ = active
    if event == LABEL_EVENT:
        _refuse("Suite._test_labels()")
    if event == "subprocess.Popen":
        text = " ".join(os.fsdecode(a) if isinstance(a, (str, bytes)) else str(a) for a in (args[1] or ()))
        if any(p in text for p in paths) or any(name in text for name in LABEL_FILES):
            _refuse(text[:200])
        return
    path = args[0]
    if not isinstance(path, (str, bytes, os.PathLike)):
        return  # an already open file descriptor
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return
    if real in paths:
        _refuse(real)


def _refuse(what: str) -> None:
    message = (
        f"test labels are off limits to submissions: refused to read {what}. Submissions get test programs "
        "without latencies; train on suite.labeled('train') / ('val') passed to fit()."
    )
    _state.violation = message
    raise TestLabelsAccessError(message)


def _install() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)  # cannot be removed; inert unless a guard is active on this thread
            _installed = True


def label_files(suite_path: Path) -> frozenset[str]:
    """The files of a suite folder that hold measured latencies."""
    return frozenset(os.path.realpath(Path(suite_path) / name) for name in LABEL_FILES)


@contextmanager
def _alarm(time_limit_sec: float | None) -> Iterator[None]:
    if not time_limit_sec or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise _Deadline()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(time_limit_sec), 1.0)  # re-fires each second until cleared
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def guard(who: str, what: str, time_limit_sec: float | None = None,
          protected: frozenset[str] = frozenset()) -> Iterator[None]:
    """Run submission code under the time limit and the label guard.

    Raises TimeLimitExceeded / TestLabelsAccessError with messages naming `who` and `what`.
    """
    _install()
    outer = _protected()
    _state.protected = (frozenset(protected), True)
    _state.violation = None
    try:
        try:
            with _alarm(time_limit_sec):
                yield
        except _Deadline:
            raise TimeLimitExceeded(f"{who}: {what} ran past the time limit of {time_limit_sec:g} s") from None
        except TestLabelsAccessError as err:
            raise TestLabelsAccessError(f"{who}: {what}: {err}") from None
        if _state.violation:  # the submission caught the refusal and carried on: still a failure
            raise TestLabelsAccessError(f"{who}: {what}: {_state.violation}")
    finally:
        _state.protected = outer
        _state.violation = None
