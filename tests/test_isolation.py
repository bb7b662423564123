"""Test labels out of reach (#19): a hostile submission, one class per route (tests/faulty/thief/model.py),
runs in the confined worker on a real (small) suite; every route is refused or yields nothing, and the
open routes are shown open in-process (isolation "none"), so each test could fail. Resource faults (memory,
crash, writing outside) fail the run with their cause; reference scores are the same in-process and in
the worker."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from conftest import BASELINES

from tircost_bench.evaluation import EvaluationError, evaluate
from tircost_bench.evaluation.confine import abi_version
from tircost_bench.predictors.submission import Submission, load_submission

FAULTY = Path(__file__).parent / "faulty"
landlock = pytest.mark.skipif(abi_version() < 6, reason="needs Landlock ABI >= 6 (Linux >= 6.12)")

ROUTES = {  # class -> words the refusal must contain (the route's own error, in one line)
    "StealMemo": "Permission denied",  # the memo is empty in a fresh worker; load_suite cannot read the suite
    "StealStack": "RouteClosed: no test labels on the call stack",
    "StealGc": "RouteClosed: no TestLabels among gc.get_objects()",
    "StealCp": "RouteClosed: cp of the labels file exited with status",
    "StealHardLink": "Invalid cross-device link",  # Landlock's EXDEV: linking would widen the file's rights
    "StealCheckout": "Permission denied",
    "StealGit": "RouteClosed: git ls-tree failed",
    "StealProc": "Permission denied",
    "StealPtrace": "Operation not permitted",
    "StealEnv": "Permission denied",  # the variable names the suite; reading its files is refused
    "StealNetwork": "Permission denied",
    "SignalEvaluator": "Operation not permitted",
    "ForgeProtocol": "the worker broke the protocol: unknown protocol message",
}


def thief(cls: str) -> Submission:
    sub = load_submission(FAULTY / "thief")
    return Submission(sub.folder, dataclasses.replace(sub.meta, entry_point=f"model:{cls}"))


@pytest.fixture
def hostile_env(small_suite, tmp_path, monkeypatch):
    copy = shutil.copytree(small_suite.path, tmp_path / "other-checkout" / "tiny")
    monkeypatch.setenv("TIRCOST_FAULTY_SUITE", str(small_suite.path))
    monkeypatch.setenv("TIRCOST_FAULTY_COPY", str(copy))
    return small_suite


@landlock
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_to_test_labels_is_closed(route, hostile_env):
    with pytest.raises(EvaluationError) as info:
        evaluate(thief(route), hostile_env, seeds=1, progress=False, time_limit_sec=60)
    message = str(info.value)
    assert message.startswith("faulty-thief 0.1 (seed 0):") and ROUTES[route] in message, message
    result = info.value.result
    assert result.status == "failed" and result.isolation == "landlock" and not result.seeds
    assert "Traceback" in result.traceback and "\n" not in message


@pytest.mark.parametrize("route", ["StealMemo", "StealStack", "StealGc", "StealEnv", "StealCheckout"])
def test_route_is_open_without_isolation(route, hostile_env):
    """The control: in the evaluator's own process the same code reads the labels and scores perfectly."""
    from tircost_bench.suite.loader import _LOADED

    saved = dict(_LOADED)  # suites other tests loaded: the thief takes the first memo entry it finds
    _LOADED.clear()
    _LOADED[("control", True)] = hostile_env
    try:
        result = evaluate(thief(route), hostile_env, seeds=1, progress=False, isolation="none")
    finally:
        _LOADED.clear()
        _LOADED.update(saved)
    assert result.isolation == "none"
    assert result.stat("pairwise_accuracy").mean == 1.0


@landlock
def test_swallowed_refusal_scores_at_chance(hostile_env):
    """peek_file catches the refusal and returns a constant: it runs, and learns nothing."""
    result = evaluate(FAULTY / "peek_file", hostile_env, seeds=1, progress=False)
    assert result.status == "ok" and result.isolation == "landlock"
    assert result.stat("pairwise_accuracy").mean < 0.9


@pytest.mark.parametrize(("route", "cause"), [
    ("HogMemory", "raised MemoryError"),
    ("Crash", "the worker died (killed by SIGABRT)"),
])
def test_worker_fault_fails_the_run(route, cause, hostile_env):
    with pytest.raises(EvaluationError) as info:
        evaluate(thief(route), hostile_env, seeds=1, progress=False, memory_limit=2 << 30, time_limit_sec=60)
    assert cause in str(info.value), str(info.value)
    assert info.value.result.status == "failed"


@landlock
def test_write_outside_is_refused(hostile_env):
    with pytest.raises(EvaluationError) as info:
        evaluate(thief("WriteOutside"), hostile_env, seeds=1, progress=False)
    assert "PermissionError" in str(info.value) and "write only its scratch" in str(info.value)
    assert not (FAULTY / "thief" / "planted.txt").exists()


def test_hard_link_in_submission_folder_is_refused(small_suite, tmp_path):
    """A hard link shipped inside the submission is the labels file under a readable name: refused upfront."""
    folder = shutil.copytree(BASELINES / "random", tmp_path / "linked")
    try:
        os.link(small_suite.path / "measurements.jsonl.xz", folder / "data.xz")
    except OSError as err:
        pytest.skip(f"the suite and tmp_path are on different filesystems ({err})")
    with pytest.raises(EvaluationError, match="is a hard link to the test labels"):
        evaluate(folder, small_suite, seeds=1, progress=False)


@pytest.mark.parametrize("isolation", ["auto", "process"])
def test_reference_scores_unchanged_by_isolation(isolation, small_suite):
    """roofline (deterministic) scores identically in-process and in the worker."""
    inside = evaluate(BASELINES / "roofline", small_suite, seeds=1, progress=False, isolation="none")
    worker = evaluate(BASELINES / "roofline", small_suite, seeds=1, progress=False, isolation=isolation)
    assert worker.isolation == ("process" if isolation == "process" else "landlock" if abi_version() else "process")
    assert worker.seeds[0].report.overall == inside.seeds[0].report.overall
