"""One measurement device shared by concurrent searches: measurements take turns, and the turn's wait is
off the search clock.

Searches of different seeds can run side by side on one GPU machine, each pinned to its own CPU cores
(protocol.py --concurrent), but two processes timing kernels on one GPU at the same time disturb each
other's measurements (the GPU time-slices between them). So every search's runner takes an exclusive
file lock for each measured batch, and the seconds spent waiting for that lock are subtracted from the
search's clock: `search_clock()` is what every search timestamp (curves, run seconds, the per-part table)
reads. A search's seconds are then its own work on its own cores, as if the GPU were free whenever it
asked; without a shared device nothing is waited and search_clock() is time.perf_counter().
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from typing import Any

_waited = 0.0  # seconds this process has waited for the device, over all its searches


def search_clock() -> float:
    """A monotonic clock that stands still while this process waits for the shared device."""
    return time.perf_counter() - _waited


def device_lock_path() -> str:
    """The lock file every search of this machine takes turns on ($TIRCOST_DEVICE_LOCK to choose another)."""
    return os.environ.get("TIRCOST_DEVICE_LOCK") or "/tmp/tircost-bench-device.lock"


def waited_seconds() -> float:
    return _waited


@contextlib.contextmanager
def device_turn(lock_path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the device exclusively for the block; the wait for it is taken off search_clock()."""
    global _waited
    with open(lock_path, "a+") as handle:
        start = time.perf_counter()
        fcntl.flock(handle, fcntl.LOCK_EX)
        _waited += time.perf_counter() - start
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_device_runner(inner: Any, lock_path: str | os.PathLike[str]) -> Any:
    """A MetaSchedule runner that measures through `inner` (LocalRunner: its run() returns when every
    candidate is measured) while holding the device lock at `lock_path`."""
    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.runner import PyRunner

    @derived_object
    class SharedDeviceRunner(PyRunner):
        def run(self, runner_inputs: list[Any]) -> list[Any]:
            with device_turn(lock_path):
                futures = list(inner.run(runner_inputs))
                for fut in futures:  # an asynchronous runner (RPC) must finish inside the turn too
                    fut.result()
            return futures

    return SharedDeviceRunner()


def pin_to_cores(cores: list[int]) -> None:
    """Run this process (and the pools it starts later) on `cores` only, with thread pools sized to them."""
    os.sched_setaffinity(0, cores)
    for var in ("TVM_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(len(cores))


def core_slices(n_slices: int, cores: list[int] | None = None) -> list[list[int]]:
    """`cores` (default: this process's) cut into n_slices contiguous, equal slices (the rest left idle)."""
    cores = sorted(cores if cores is not None else os.sched_getaffinity(0))
    size = len(cores) // n_slices
    if size < 1:
        raise ValueError(f"{n_slices} concurrent searches need at least {n_slices} cores; this machine has "
                         f"{len(cores)}: run fewer at a time")
    return [cores[i * size:(i + 1) * size] for i in range(n_slices)]


def gate_process_group(pgid: int, lock_path: str | os.PathLike[str], turn: float = 6.0, drain: float = 0.25,
                       pause: float = 0.5) -> None:
    """Let process group `pgid` (a GPU training job, which times nothing) use the device only while it holds
    the measurement lock, so searches measuring on the same GPU never share it with the job's kernels.

    In turns: take the lock (waiting for a search's measured batch to end), SIGCONT the group, let it run for
    `turn` seconds, SIGSTOP it, wait `drain` seconds for the kernels it had queued, release the lock, and pause
    so that a search waiting for the device gets its turn. A search then waits at most one turn (off its clock);
    the job runs whenever no measurement does. Returns when the group is gone, leaving nothing stopped."""
    import signal

    def signal_group(sig: int) -> bool:
        try:
            os.killpg(pgid, sig)
            return True
        except ProcessLookupError:
            return False

    try:
        if not signal_group(signal.SIGSTOP):  # from now on it runs only in its turns
            return
        while True:
            with device_turn(lock_path):
                if not signal_group(signal.SIGCONT):
                    return
                time.sleep(turn)
                if not signal_group(signal.SIGSTOP):
                    return
                time.sleep(drain)
            time.sleep(pause)
    finally:
        signal_group(signal.SIGCONT)
