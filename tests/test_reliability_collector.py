"""The collector under faults: SIGKILL at random points of a real `tircost-bench collect` then resume (no
duplicate, no lost record, torn lines repaired), and programs that fail to build, crash or hang at run time
are recorded with their failure kind (real TVM builds and runners; nothing under test is mocked)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tircost_bench.collect.task_store import MEASUREMENTS, RECORDS

CLI = str(Path(sys.executable).parent / "tircost-bench")
COLLECT_ARGS = ["--networks", "dcgan-b1", "--limit-tasks", "2", "--programs", "6", "--workers", "1",
                "--repeat", "2", "--min-repeat-ms", "1"]


# ---------------------------------------------------------------------------------------------------------
# failure kinds, through Collector._measure with real programs and real runners


def _matmul(n: int):
    import tvm
    from tvm import te

    a, b = te.placeholder((n, n), name="A"), te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), "k")
    c = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    return tvm.IRModule({"main": te.create_prim_func([a, b, c])})


def _program(mod, target, build_target=None, garbage_dir: Path | None = None):
    """A SampledProgram like the sampler makes (record JSON + build outcome of a real build)."""
    import tvm.s_tir.meta_schedule as ms
    import tvm_ffi
    from tvm.s_tir import Schedule

    from tircost_bench.collect.sampler import SampledProgram, build_module

    sch = Schedule(mod)
    record = ms.database.TuningRecord(sch.trace, ms.database.Workload(mod), None, target,
                                      ms.arg_info.ArgInfo.from_prim_func(mod["main"])).as_json()
    # distinct hashes: the collector measures a structural hash once per task
    mod_hash = str(tvm_ffi.structural_hash(sch.mod)) + ("-garbage" if garbage_dir else "") + (
        "-bad-target" if build_target else "")
    if garbage_dir is not None:  # an artifact that is not a shared library: the runner's load must fail
        garbage_dir.mkdir(parents=True)
        path = garbage_dir / "tvm_tmp_mod.so"
        path.write_bytes(random.Random(0).randbytes(4096))
        return SampledProgram(record, mod_hash, str(path))
    try:
        return SampledProgram(record, mod_hash, build_module(sch.mod, build_target or target))
    except Exception as err:  # noqa: BLE001 - exactly the sampler's handling of a compiler failure
        return SampledProgram(record, mod_hash, None, f"{type(err).__name__}: {err}"[-2000:])


def _measure(tmp_path: Path, name: str, programs: list, measure) -> list:
    from tqdm import tqdm

    from tircost_bench.collect.collector import CollectConfig, Collector, CollectSummary
    from tircost_bench.collect.sampler import SampleBatch
    from tircost_bench.collect.targets import cpu_target
    from tircost_bench.collect.task_store import TaskStore

    mod = _matmul(64)
    task = SimpleNamespace(info=SimpleNamespace(task_id=name, name=name), mod=mod)
    collector = Collector(tmp_path / "work", CollectConfig(target=cpu_target(), workers=1, measure=measure))
    try:
        store = TaskStore(tmp_path / "work", name, mod)
        summary = CollectSummary()
        collector._measure(task, store, SampleBatch(programs=programs, tried=len(programs)), tqdm(disable=True),
                           summary)
    finally:
        collector.close()
    ms_ = store.measurements()
    records = (store.dir / RECORDS).read_text().splitlines()
    assert len(records) == len(ms_) == len(programs) and summary.measured + summary.failed == len(programs)
    return ms_


def test_failure_kinds_are_recorded(tmp_path):
    import tvm

    from tircost_bench.collect.measure import MeasureSettings
    from tircost_bench.collect.targets import cpu_target

    target = tvm.target.Target(cpu_target())
    small, big = _matmul(64), _matmul(512)
    programs = [
        _program(small, target),  # fine
        _program(small, target, build_target=tvm.target.Target({"kind": "llvm", "mtriple": "bogus-none-none"})),
        _program(small, target, garbage_dir=tmp_path / "garbage"),
    ]
    got = _measure(tmp_path / "a", "kinds", programs, MeasureSettings(repeat=2, min_repeat_ms=1, timeout_sec=20))
    assert [m.status for m in got] == ["ok", "build_error", "runtime_error"], [(m.status, m.error) for m in got]
    assert got[0].run_secs and all(x > 0 for x in got[0].run_secs)
    assert "No available targets are compatible with triple" in got[1].error
    assert got[2].error.startswith("LocalRunner: An exception occurred") and not got[2].run_secs

    # A program that runs past the runner's limit (naive 512^3 matmul, >= 3 s of timed repeats, 1 s limit).
    (hang,) = _measure(tmp_path / "b", "hang", [_program(big, target)],
                       MeasureSettings(repeat=3, min_repeat_ms=1000, timeout_sec=1))
    assert hang.status == "timeout", (hang.status, hang.error)
    assert "Timeout, killed after 1" in hang.error


def test_classify_tells_timeouts_from_faults():
    from tircost_bench.collect.measure import classify

    assert classify(None, "LocalRunner: Timeout, killed after 1 seconds\n")[0] == "timeout"
    assert classify(None, "RPCRunner: Timeout, killed after 10 seconds")[0] == "timeout"
    # An RPC connection failure mentions "timeout (sec)" but is not a program that ran too long.
    rpc_down = ("RPCRunner: An exception occurred\nValueError: Unable to connect to the tracker using the "
                "following configuration:\n    tracker host: 127.0.0.1\n    timeout (sec): 10\n")
    assert classify(None, rpc_down)[0] == "runtime_error"
    assert classify(None, "LocalRunner: An exception occurred\n  File x, in f(timeout_sec=3)\nSegfault")[0] \
        == "runtime_error"
    assert classify([0.0], None)[0] == "runtime_error" and classify([float("nan")], None)[0] == "runtime_error"


# ---------------------------------------------------------------------------------------------------------
# SIGKILL at random points of a real collection, then resume


def _complete(path: Path) -> list[str]:
    from tircost_bench.collect.task_store import _complete_lines

    return _complete_lines(path)[0]


def _lines_by_task(work: Path) -> dict[str, list[str]]:
    if not work.exists():
        return {}
    return {d.name: _complete(d / MEASUREMENTS) for d in sorted(work.iterdir()) if (d / MEASUREMENTS).exists()}


def _count(work: Path) -> int:
    return sum(len(v) for v in _lines_by_task(work).values())


def _start(work: Path, env: dict[str, str], log: Path, networks: list[str]) -> subprocess.Popen:
    args = [CLI, "collect", "--suite", "killed", *networks, "--work-dir", str(work)]
    return subprocess.Popen(args, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # its own process group: pool and runner workers too


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


@pytest.mark.slow
def test_sigkill_and_resume_loses_nothing(tmp_path):
    """Kill the whole process group during startup and twice mid-measurement, tear the last lines by hand,
    resume to completion: every completed measurement survives, no program is measured twice, records and
    sidecar agree line for line, and the packed suite loads."""
    seed = int(os.environ.get("TIRCOST_KILL_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    print(f"kill seed {seed} (TIRCOST_KILL_SEED to replay)")
    work, log = tmp_path / "work", tmp_path / "collect.log"
    env = {**os.environ, "TIRCOST_SUITES_DIR": str(tmp_path / "suites"), "TIRCOST_CACHE_DIR": str(tmp_path / "cache")}
    args = COLLECT_ARGS
    prepared = [*COLLECT_ARGS[2:], "--networks", "prepared"]  # same options, no re-extraction
    survivors: dict[str, list[str]] = {}

    def snapshot() -> None:
        for task, lines in _lines_by_task(work).items():
            assert lines[: len(survivors.get(task, []))] == survivors.get(task, []), f"{task}: lines lost"
            survivors[task] = lines

    # 1) during startup (extraction / pool warm-up): whatever is on disk must be resumable.
    proc = _start(work, env, log, args)
    time.sleep(rng.uniform(3, 15))
    _kill_group(proc)
    snapshot()

    # 2), 3) mid-measurement, after a random number of new lines and a random delay.
    for _ in range(2):
        proc = _start(work, env, log, prepared if (work / "tasks.json").exists() else args)
        target = _count(work) + rng.randint(1, 3)
        deadline = time.time() + 300
        while _count(work) < target and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0, 0.6))
        _kill_group(proc)
        snapshot()

    # A torn last line in both files, as a kill inside write() would leave.
    tdir = next(d for d in sorted(work.iterdir()) if (d / MEASUREMENTS).exists() and _complete(d / RECORDS))
    with open(tdir / RECORDS, "ab") as f:
        f.write(_complete(tdir / RECORDS)[-1].encode()[:57])
    with open(tdir / MEASUREMENTS, "ab") as f:
        f.write(b'{"record":99,"task_id":"x","sta')

    # 4) resume to the end, building ahead while measuring (the GPU campaign's mode).
    proc = _start(work, env, log, [*prepared, "--overlap"])
    assert proc.wait(timeout=540) == 0, log.read_text()[-3000:]
    out = log.read_text()
    summary = json.loads([x for x in out.splitlines() if x.startswith('{"measured"')][-1])
    assert summary["dropped_on_resume"] >= 1  # the torn tail was cut (and reported)
    # the kills may have left nothing to measure; whatever was measured was timed
    assert (summary["measured"] + summary["failed"] > 0) == (summary["measuring_sec"] > 0)
    snapshot()

    final = _lines_by_task(work)
    assert len(final) == 2
    for task, lines in final.items():
        tdir = work / task
        for path in (tdir / RECORDS, tdir / MEASUREMENTS):
            raw = path.read_bytes()
            assert raw.endswith(b"\n") and len(raw.splitlines()) == len(_complete(path)), f"{path} not repaired"
        records = [json.loads(x) for x in _complete(tdir / RECORDS)]
        meas = [json.loads(x) for x in lines]
        assert len(records) == len(meas), task
        hashes = [m["mod_hash"] for m in meas]
        assert len(set(hashes)) == len(hashes), f"{task}: a program was measured twice"
        assert [m["record"] for m in meas] == list(range(len(meas)))
        for rec, m in zip(records, meas):  # record i and sidecar line i describe the same measurement
            assert rec[1][1] == (m["run_secs"] or None)
        assert sum(m["status"] == "ok" for m in meas) == 6
    assert "packed killed" in out

    from tircost_bench.suite.loader import Suite

    suite = Suite(tmp_path / "suites" / "killed")
    assert not suite.skipped and suite.manifest.counts["records"] == 12
    counts = suite.manifest.counts  # 6 programs in each of the 2 tasks
    assert (counts["programs_per_task_min"], counts["programs_per_task_max"], counts["tasks_with_100_programs"]) == (6, 6, 0)
