"""A warm, persistent process pool for sampling and building (the stock LocalBuilder restarts its pool per call)."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tircost_bench.collect.sampler import init_worker


class WarmPool:
    """Spawned workers that import TVM once; a crashed or hung worker gets the pool restarted, not the run lost."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"), initializer=init_worker)

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        try:
            return self._pool.submit(fn, *args)
        except BrokenProcessPool:
            self.restart()
            return self._pool.submit(fn, *args)

    def result(self, future: cf.Future, timeout: float) -> Any:
        """The job's result; raises RuntimeError (after restarting the pool) if a worker died or hung."""
        try:
            return future.result(timeout=timeout)
        except BrokenProcessPool as err:
            self.restart()
            raise RuntimeError(f"a pool worker crashed: {err}") from err
        except cf.TimeoutError as err:
            self.restart()
            raise RuntimeError(f"a pool job ran past {timeout:.0f} s") from err

    def restart(self) -> None:
        self.shutdown(kill=True)
        self._pool = self._start()

    def shutdown(self, kill: bool = False) -> None:
        if kill:
            for proc in list(getattr(self._pool, "_processes", {}).values()):
                proc.kill()
        self._pool.shutdown(wait=not kill, cancel_futures=True)


def start_manager() -> Any:
    """A started Manager: its .dict() proxies travel to a pool's jobs, and setdefault on them is atomic."""
    return mp.get_context("spawn").Manager()
