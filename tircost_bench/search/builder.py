"""A MetaSchedule builder over the project's warm process pool.

The stock LocalBuilder starts a new pool per call and re-imports TVM's tensor intrinsics in it (~0.5
builds/s on 2 cores); here the workers stay up for the whole search (every model), so a build costs only
the compile (~10x faster). Artifacts are linked .so files, which LocalRunner loads like the stock .tar.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import shutil
from typing import Any

from tircost_bench.collect.pool import WarmPool
from tircost_bench.collect.sampler import build_module


def init_build_worker() -> None:
    """Import TVM without torch (~2 s saved) and without the tensor intrinsics: building needs neither."""
    import sys

    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    import tvm.driver  # noqa: F401


class BuildPool(WarmPool):
    """The collector's WarmPool with a lighter worker start (no ~20 s tensor-intrinsic import per worker)."""

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"), initializer=init_build_worker)


def build_one(mod: Any, target_json: dict[str, Any]) -> tuple[str | None, str | None]:
    """(artifact path, None) or (None, error message); runs inside a pool worker."""
    import tvm

    try:
        return build_module(mod, tvm.target.Target(target_json)), None
    except Exception as err:  # noqa: BLE001 - a compiler failure is a result of the candidate
        return None, f"{type(err).__name__}: {err}"[-2000:]


def remove_artifact(path: str | None) -> None:
    """Delete an artifact and the temporary folder build_module made for it."""
    if path:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def make_builder(pool: WarmPool, timeout_sec: float = 120.0, timers: Any = None) -> Any:
    """A ms.builder.PyBuilder that builds every BuilderInput of a batch in `pool`'s warm workers.
    `timers()`, when given, returns the PartTimer of the model searching now (or None)."""
    from tvm.ir.utils import derived_object
    from tvm.s_tir.meta_schedule.builder import BuilderResult, PyBuilder

    @derived_object
    class WarmPoolBuilder(PyBuilder):
        def build(self, build_inputs: list[Any]) -> list[Any]:
            timer = timers() if timers is not None else None
            if timer is None:
                return self._build(build_inputs)
            with timer.part("build"):
                results = self._build(build_inputs)
            timer.build_ended()
            return results

        def _build(self, build_inputs: list[Any]) -> list[Any]:
            futures = [pool.submit(build_one, inp.mod, inp.target.export()) for inp in build_inputs]
            results = []
            for fut in futures:
                try:
                    path, err = pool.result(fut, timeout_sec)
                except RuntimeError as lost:  # a worker died or hung: the pool restarted, the candidate failed
                    path, err = None, str(lost)
                results.append(BuilderResult(path, err))
            return results

    return WarmPoolBuilder()
