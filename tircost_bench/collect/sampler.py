"""Uniform random programs from MetaSchedule's design space (TenSet's method), built in the same worker.

Runs inside the warm pool's worker processes: each worker pays TVM's ~20 s tensor-intrinsic import once,
keeps the design space of every task it has seen, and returns programs already built, so sampling
(which is ~95% invalid on CUDA) and compiling are spread over all cores.
"""

from __future__ import annotations

import os
import random
import tempfile
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Design spaces and postprocs per task, kept for the life of the worker.
_SPACES: dict[str, tuple[list[Any], list[Any]]] = {}


@dataclass
class SampledProgram:
    """One valid, unique random program: its record JSON (run_secs still empty) and build outcome."""

    record_json: list[Any]  # TuningRecord.as_json() with run_secs = None: [trace, None, target, args_info]
    mod_hash: str
    artifact_path: str | None
    build_error: str = ""


@dataclass
class SampleBatch:
    programs: list[SampledProgram] = field(default_factory=list)
    tried: int = 0
    invalid: int = 0  # rejected by a postproc (e.g. VerifyGPUCode): counted, never kept
    duplicate: int = 0
    replayed: int = 0  # presampled programs rebuilt from their traces (no draws)


def _design_space(task_id: str, mod: Any, target: Any) -> tuple[list[Any], list[Any]]:
    if task_id not in _SPACES:
        import tvm.s_tir.meta_schedule as ms

        ctx = ms.TuneContext(
            mod=mod,
            target=target,
            space_generator="post-order-apply",
            search_strategy="replay-trace",
            task_name=task_id,
            num_threads=1,
        )
        _SPACES[task_id] = (list(ctx.generate_design_space()), list(ctx.space_generator.postprocs))
    return _SPACES[task_id]


def build_module(mod: Any, target: Any) -> str:
    """Compile and export like MetaSchedule's default builder, minus its per-call tensor-intrinsic import."""
    from tvm.driver import build
    from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock

    rt_mod = build(RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod), target=target)
    # A linked .so (not the stock builder's .tar): linking happens here, in parallel workers, instead of
    # serially in the runner, which would otherwise run the system linker once per program.
    path = os.path.join(tempfile.mkdtemp(prefix="tircost-build-"), "tvm_tmp_mod.so")
    rt_mod.export_library(path)
    return path


def sample_and_build(
    task_id: str,
    mod: Any,
    target_json: dict[str, Any],
    seed: int,
    count: int,
    exclude: frozenset[str],
    max_tries: int,
    claims: Any = None,
    presampled: Sequence[tuple[list[Any], str]] = (),
    build: bool = True,
) -> SampleBatch:
    """Draw up to `count` valid programs whose structural hash is not in `exclude`, and build each.

    `claims` (a dict shared by the round's jobs, e.g. a multiprocessing Manager's) stops two jobs from
    building the same program: a job builds a program only if it claimed its hash first. Without it, jobs
    of a small design space (an elementwise CUDA task has 6 programs) would each build all of them.
    `presampled` (record JSON, hash) pairs, drawn earlier by `presample`, are replayed and built before
    any new draw. With `build=False` nothing is built (presampling: artifact_path stays None)."""
    import tvm
    import tvm.s_tir.meta_schedule as ms
    import tvm_ffi
    from tvm.s_tir import Schedule
    from tvm.s_tir.schedule import Trace

    target = tvm.target.Target(target_json)
    spaces, postprocs = _design_space(task_id, mod, target)
    workload = ms.database.Workload(mod)
    args_info = ms.arg_info.ArgInfo.from_prim_func(mod["main"])
    rng = random.Random(seed)
    batch = SampleBatch()
    seen = set(exclude)

    def claim(mod_hash: str) -> bool:
        """New to the task, and no other job of the round took it first."""
        mine = mod_hash not in seen and (claims is None or claims.setdefault(mod_hash, seed) == seed)
        seen.add(mod_hash)
        return mine

    def keep(record: list[Any], mod_hash: str, scheduled: Any) -> None:
        if not build:
            batch.programs.append(SampledProgram(record, mod_hash, None))
            return
        try:
            program = SampledProgram(record, mod_hash, build_module(scheduled, target))
        except Exception as err:  # noqa: BLE001 - any compiler failure is a measured outcome
            program = SampledProgram(record, mod_hash, None, f"{type(err).__name__}: {err}"[-2000:])
        batch.programs.append(program)

    for record, mod_hash in presampled:
        if len(batch.programs) >= count:
            break
        if not claim(mod_hash):
            continue
        sch = Schedule(mod)
        Trace.apply_json_to_schedule(record[0], sch)  # the trace holds the postprocs' steps and all decisions
        batch.replayed += 1
        if str(tvm_ffi.structural_hash(sch.mod)) != mod_hash:
            batch.invalid += 1  # another TVM replays it differently: its hash would name the wrong program
            continue
        keep(record, mod_hash, sch.mod)
    while len(batch.programs) < count and batch.tried < max_tries:
        batch.tried += 1
        sch = Schedule(mod, seed=rng.randrange(1, 2**31 - 1))
        # Dropping the decisions makes every sampling instruction draw afresh (uniform random decisions).
        Trace(rng.choice(spaces).trace.insts, {}).apply_to_schedule(sch, remove_postproc=True)
        try:
            valid = all(p.apply(sch) for p in postprocs)
        except Exception:  # noqa: BLE001 - a postproc that throws rejects the sample, as in MetaSchedule
            valid = False
        if not valid:
            batch.invalid += 1
            continue
        mod_hash = str(tvm_ffi.structural_hash(sch.mod))
        if not claim(mod_hash):
            batch.duplicate += 1
            if batch.duplicate > 50 * (len(batch.programs) + 1):
                break  # a small design space (e.g. an elementwise task has one program): stop drawing
            continue
        keep(ms.database.TuningRecord(sch.trace, workload, None, target, args_info).as_json(), mod_hash, sch.mod)
    return batch


def init_worker() -> None:
    """Warm a pool worker: import TVM without torch (saves ~2 s) and load the tensor intrinsics once."""
    import sys

    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    try:
        import tvm.s_tir.tensor_intrin  # noqa: F401
    except Exception:  # noqa: BLE001 - surfaced again on first use, with its own traceback
        traceback.print_exc()
