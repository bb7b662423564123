"""Collect a suite: for each task, random valid programs from the warm pool, measured one at a time."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from tircost_bench.collect.measure import MeasureSettings, RPCSettings, classify, make_runner
from tircost_bench.collect.pool import WarmPool, start_manager
from tircost_bench.collect.sampler import SampleBatch, sample_and_build
from tircost_bench.collect.targets import device_type
from tircost_bench.collect.task_store import TaskStore
from tircost_bench.records import Measurement

EXHAUSTED_AFTER_DUPLICATES = 50  # valid draws, all already measured, before a task counts as drawn dry


@dataclass
class CollectConfig:
    target: dict[str, Any]
    programs_per_task: int = 32
    workers: int = 2
    seed: int = 0
    measure: MeasureSettings = field(default_factory=MeasureSettings)
    rpc: RPCSettings | None = None
    max_tries_per_program: int = 400  # CUDA random schedules are ~95% invalid
    max_attempts_factor: int = 3  # give up on a task after this many times its quota of failed programs
    job_timeout_sec: float = 900.0
    overlap: bool = False  # sample/build the next batch while measuring (GPU: yes; CPU: it skews timings)
    prefetch: int = 2  # with overlap, how many tasks' batches are sampled/built ahead of the one measured
    job_size: int = 4  # programs per pool job: small jobs keep all workers busy until the batch ends
    time_limit_sec: float | None = None  # stop cleanly after the batch that crosses it (device calls are capped)


@dataclass
class CollectSummary:
    measured: int = 0
    failed: int = 0
    seconds: float = 0.0
    tasks_done: int = 0
    dropped_on_resume: int = 0
    waiting_for_pool_sec: float = 0.0  # the device idled, waiting for sampled+built programs
    measuring_sec: float = 0.0  # the runner was busy (the pool may be building ahead meanwhile)

    @property
    def rate(self) -> float:
        return (self.measured + self.failed) / self.seconds if self.seconds else 0.0


@dataclass
class PresampleSummary:
    programs: int = 0
    tried: int = 0
    tasks: int = 0
    seconds: float = 0.0


def _seed(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(json.dumps(parts).encode()).digest()[:4], "little")


class Collector:
    def __init__(self, work_dir: Path, config: CollectConfig) -> None:
        self.work_dir = Path(work_dir)
        self.config = config
        self.pool = WarmPool(config.workers)
        self._manager: Any = None  # holds each round's claims (which job builds which program); started on need
        self._runner: Any = None  # made on first measurement (presampling measures nothing)
        self.device = device_type(config.target)

    @property
    def runner(self) -> Any:
        if self._runner is None:
            self._runner = make_runner(self.config.measure, self.config.rpc)
        return self._runner

    def close(self) -> None:
        self.pool.shutdown()
        if self._manager is not None:
            self._manager.shutdown()

    def _missing(self, store: TaskStore) -> int:
        """How many more successful measurements the task needs (0 once drawn dry or failing for good)."""
        cfg = self.config
        if store.sampling_stats().exhausted:
            return 0  # every program of its design space is measured
        measured = store.measurements()
        ok = sum(m.ok for m in measured)
        if len(measured) - ok >= cfg.max_attempts_factor * cfg.programs_per_task:
            return 0  # this task keeps failing: stop spending time on it, the sidecar says why
        return max(0, cfg.programs_per_task - ok)

    def _submit(self, task: Any, store: TaskStore, need: int, round_no: int | str, build: bool = True) -> list:
        """Split `need` programs into small jobs; each samples and builds its share, replaying the task's
        presampled programs first (or, with build=False, only draws: presampling)."""
        known = {m.mod_hash for m in store.measurements()}
        presampled = [p for p in store.presampled() if p[1] not in known]
        if not build:  # draw programs that are neither measured nor presampled yet
            known |= {h for _, h in presampled}
            presampled = []
        exclude = frozenset(known)
        size = self.config.job_size
        shares = [min(size, need - start) for start in range(0, need, size)]
        claims = None
        if len(shares) > 1:
            self._manager = self._manager or start_manager()
            claims = self._manager.dict()
        return [
            self.pool.submit(
                sample_and_build,
                task.info.task_id,
                task.mod,
                self.config.target,
                _seed(self.config.seed, task.info.task_id, round_no, i),
                share,
                exclude,
                share * self.config.max_tries_per_program,
                claims,
                presampled[i::len(shares)],
                build,
            )
            for i, share in enumerate(shares)
        ]

    def _gather(self, futures: list) -> SampleBatch:
        merged = SampleBatch()
        for fut in futures:
            try:
                batch = self.pool.result(fut, self.config.job_timeout_sec)
            except RuntimeError as err:
                tqdm.write(f"  sampling job lost: {err}")
                continue
            merged.tried += batch.tried
            merged.invalid += batch.invalid
            merged.duplicate += batch.duplicate
            merged.replayed += batch.replayed
            merged.programs.extend(batch.programs)
        return merged

    def _run_programs(self, progs: list[Any]) -> list[tuple[str, list[float], str]]:
        """Measure built programs in one runner call (an RPCRunner spreads them over the farm's servers;
        LocalRunner runs them one after another) and return (status, secs, error) in input order."""
        from tvm.s_tir.meta_schedule.arg_info import ArgInfo
        from tvm.s_tir.meta_schedule.runner import RunnerInput

        inputs = [RunnerInput(p.artifact_path, self.device, [ArgInfo.from_json(a) for a in p.record_json[3]])
                  for p in progs]
        out = []
        for prog, future in zip(progs, self.runner.run(inputs)):
            res = future.result()
            out.append(classify(res.run_secs, res.error_msg))
            shutil.rmtree(Path(prog.artifact_path).parent, ignore_errors=True)
        return out

    def _measure(self, task: Any, store: TaskStore, batch: SampleBatch, bar: tqdm, summary: CollectSummary) -> None:
        known = {m.mod_hash for m in store.measurements()}
        index = len(known)
        fresh = []
        for prog in batch.programs:
            if prog.mod_hash not in known:  # two workers may draw the same program
                known.add(prog.mod_hash)
                fresh.append(prog)
        # Nothing new after many valid draws: a small design space (an elementwise CUDA task has 6 programs).
        # Recorded, so that resumed runs do not draw it dry again.
        exhausted = not fresh and batch.duplicate >= EXHAUSTED_AFTER_DUPLICATES
        store.add_sampling(batch.tried, batch.invalid, batch.duplicate, exhausted)
        width = max(1, self.config.rpc.max_workers) if self.config.rpc else 1  # programs in flight at once
        for start in range(0, len(fresh), width):
            chunk = fresh[start:start + width]
            built = [p for p in chunk if p.artifact_path is not None]
            results = dict(zip((p.mod_hash for p in built), self._run_programs(built) if built else []))
            for prog in chunk:  # written in sampling order, each line fsynced: resumable as before
                if prog.artifact_path is None:
                    status, secs, error = "build_error", [], prog.build_error
                else:
                    status, secs, error = results[prog.mod_hash]
                store.append(prog.record_json, Measurement(index, task.info.task_id, status, secs, error,
                                                           prog.mod_hash))
                index += 1
                summary.measured += status == "ok"
                summary.failed += status != "ok"
                bar.update(1)
                bar.set_postfix(task=task.info.name[:28], failed=summary.failed, refresh=False)

    def presample(self, tasks: Sequence[Any]) -> PresampleSummary:
        """Draw, without building or measuring, the valid programs each task still lacks into its
        presampled.jsonl. Any machine with the same TVM can do it for the target; the measuring machine
        then replays and builds them instead of drawing (random CUDA schedules are mostly invalid)."""
        cfg = self.config
        summary, start = PresampleSummary(), time.time()
        bar = tqdm(tasks, unit="task", desc="presample", dynamic_ncols=True)
        for task in bar:
            if cfg.time_limit_sec and time.time() - start > cfg.time_limit_sec:
                tqdm.write(f"time limit of {cfg.time_limit_sec:.0f} s reached: stopping; re-run to resume")
                break
            store = TaskStore(self.work_dir, task.info.task_id, task.mod)
            done = {m.mod_hash for m in store.measurements()}
            drawn = store.presampled()
            want = self._missing(store) - sum(h not in done for _, h in drawn)
            if want <= 0:
                continue
            tag = f"presample-{len(drawn)}"  # seeds unlike the measuring rounds' (0, 1, ...)
            batch = self._gather(self._submit(task, store, want, tag, build=False))
            store.add_presampled([(p.record_json, p.mod_hash) for p in batch.programs])
            store.add_sampling(batch.tried, batch.invalid, batch.duplicate)
            summary.programs += len(batch.programs)
            summary.tried += batch.tried
            summary.tasks += 1
            bar.set_postfix(programs=summary.programs, refresh=False)
        bar.close()
        summary.seconds = time.time() - start
        return summary

    def run(self, tasks: Sequence[Any]) -> CollectSummary:
        """Collect until every task has `programs_per_task` successful measurements (resumable)."""
        cfg = self.config
        summary = CollectSummary()
        stores = {t.info.task_id: TaskStore(self.work_dir, t.info.task_id, t.mod) for t in tasks}
        summary.dropped_on_resume = sum(s.dropped for s in stores.values())

        def need(task: Any) -> int:
            return self._missing(stores[task.info.task_id])

        todo = [t for t in tasks if need(t) > 0]
        if cfg.overlap:  # alternate: the device measures presampled tasks while the pool draws fresh ones
            todo = _interleave([t for t in todo if stores[t.info.task_id].presampled()],
                               [t for t in todo if not stores[t.info.task_id].presampled()])
        total = sum(need(t) for t in todo)
        start = time.time()
        bar = tqdm(total=total, unit="prog", desc="collect", dynamic_ncols=True, smoothing=0.05)
        ahead = 1 + (max(1, cfg.prefetch) if cfg.overlap else 0)  # batches submitted at once
        pending: list[tuple[Any, int, list]] = []
        queue = [(t, 0) for t in todo]

        def top_up() -> None:
            while queue and len(pending) < ahead:
                task, rnd = queue.pop(0)
                n = need(task)
                if n > 0:
                    pending.append((task, rnd, self._submit(task, stores[task.info.task_id], n, rnd)))

        try:
            while queue or pending:
                if cfg.time_limit_sec and time.time() - start > cfg.time_limit_sec:
                    tqdm.write(f"time limit of {cfg.time_limit_sec:.0f} s reached: stopping; re-run to resume")
                    break
                top_up()
                if not pending:
                    continue
                # the first batch that is ready, else the oldest: a slow draw does not hold up the device
                ready = [i for i, (_, _, futs) in enumerate(pending) if all(f.done() for f in futs)]
                task, rnd, futures = pending.pop(ready[0] if ready else 0)
                t0 = time.time()
                batch = self._gather(futures)
                t1 = time.time()
                if cfg.overlap:
                    top_up()  # keep the pool busy while the device measures
                self._measure(task, stores[task.info.task_id], batch, bar, summary)
                summary.waiting_for_pool_sec += t1 - t0
                summary.measuring_sec += time.time() - t1
                if need(task) > 0 and batch.programs and rnd < 50:
                    # next round of the same task: after the batches already building, before new tasks
                    queue.insert(0, (task, rnd + 1))
                else:
                    summary.tasks_done += 1
                    if summary.tasks_done % 10 == 0:  # where the time goes: the pool or the device
                        tqdm.write(f"{summary.tasks_done} tasks done; waited {summary.waiting_for_pool_sec:.0f} s "
                                   f"for the pool, measured {summary.measuring_sec:.0f} s")
        finally:
            bar.close()
            for _, _, futures in pending:
                for fut in futures:
                    fut.cancel()
            summary.seconds = time.time() - start
        return summary


def _interleave(first: list, second: list) -> list:
    """first[0], second[0], first[1], second[1], ... then the rest of the longer list."""
    out = [x for pair in zip(first, second) for x in pair]
    n = min(len(first), len(second))
    return out + first[n:] + second[n:]


def summary_json(summary: CollectSummary) -> dict[str, Any]:
    return {**asdict(summary), "programs_per_second": summary.rate}
