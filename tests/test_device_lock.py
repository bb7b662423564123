"""Concurrent searches on one device: measurements take turns, and the wait is off each search clock."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from tircost_bench.search.device_lock import core_slices, device_turn, search_clock, waited_seconds

HOLD = 2.0


def _hold_device(lock: str, held: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    with device_turn(lock):
        held.set()
        time.sleep(HOLD)


def test_waiting_for_the_device_is_off_the_search_clock(tmp_path: Path) -> None:
    lock = str(tmp_path / "device.lock")
    held = mp.get_context("spawn").Event()
    other = mp.get_context("spawn").Process(target=_hold_device, args=(lock, held))
    other.start()
    assert held.wait(60), "the other search never got the device"
    wall0, clock0, waited0 = time.perf_counter(), search_clock(), waited_seconds()
    with device_turn(lock):  # blocks until the other search's turn ends
        wall, clock = time.perf_counter() - wall0, search_clock() - clock0
    other.join(60)
    assert wall > 0.5 * HOLD  # we really waited for the other turn
    assert waited_seconds() - waited0 == pytest.approx(wall - clock, abs=1e-3)
    assert clock < 0.3 * HOLD  # the search clock barely moved while we waited


def test_a_free_device_costs_no_clock_time(tmp_path: Path) -> None:
    before = waited_seconds()
    with device_turn(tmp_path / "free.lock"):
        pass
    assert waited_seconds() - before < 0.05


def test_core_slices_are_disjoint_and_equal() -> None:
    slices = core_slices(3, list(range(16)))
    assert [len(s) for s in slices] == [5, 5, 5]
    assert len({c for s in slices for c in s}) == 15
    with pytest.raises(ValueError, match="need at least 3 cores"):
        core_slices(3, [0, 1])
    assert core_slices(1) == [sorted(os.sched_getaffinity(0))]


def _gate(pgid: int, lock: str) -> None:
    from tircost_bench.search.device_lock import gate_process_group

    gate_process_group(pgid, lock, turn=0.3, drain=0.05, pause=0.2)


def test_a_gated_training_job_never_runs_during_a_measurement(tmp_path: Path) -> None:
    """A job under gate_process_group ticks only between measured batches: while a search holds the device,
    its counter stands still; it runs again after, and the gate leaves it running when it ends."""
    import signal
    import subprocess
    import sys

    lock, ticks = str(tmp_path / "device.lock"), tmp_path / "ticks"
    tick = ("import os, sys, time\nn = 0\nwhile True:\n    n += 1\n    open(sys.argv[1] + '.tmp', 'w').write(str(n))\n"
            "    os.replace(sys.argv[1] + '.tmp', sys.argv[1])\n    time.sleep(0.01)")
    job = subprocess.Popen([sys.executable, "-c", tick, str(ticks)], start_new_session=True)
    job.send_signal(signal.SIGSTOP)  # it runs from the gate's first turn on
    gate = mp.get_context("spawn").Process(target=_gate, args=(job.pid, lock))
    gate.start()

    def count() -> int:
        return int(ticks.read_text()) if ticks.exists() else 0

    def wait_for_ticks(above: int) -> bool:
        deadline = time.perf_counter() + 30
        while count() <= above and time.perf_counter() < deadline:
            time.sleep(0.05)
        return count() > above

    try:
        assert wait_for_ticks(0), "the gated job never ran"
        with device_turn(lock):  # a measured batch: the job is stopped for all of it
            time.sleep(0.1)  # a tick written just before the stop lands
            during = count()
            time.sleep(1.0)
            assert count() == during
        assert wait_for_ticks(during), "the job's turns did not come back after the measurement"
    finally:
        job.kill()
        job.wait()
        gate.join(10)
    assert not gate.is_alive(), "the gate did not end with its job"
