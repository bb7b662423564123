"""Scale-out: `tircost-bench collect --rpc-tracker` measures through TVM's RPC tracker (MetaSchedule's
RPCRunner) on a real loopback farm: one tracker and two servers, each a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tircost_bench.collect.task_store import MEASUREMENTS, RECORDS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_rpc import rpc_farm

CLI = str(Path(sys.executable).parent / "tircost-bench")
KEY = "tircost-test"


@pytest.mark.slow
def test_collect_through_rpc_tracker(tmp_path):
    pytest.importorskip("tornado", reason="the RPC tracker needs tornado (a project dependency)")
    work = tmp_path / "work"
    env = {**os.environ, "TIRCOST_SUITES_DIR": str(tmp_path / "suites"), "TIRCOST_CACHE_DIR": str(tmp_path / "cache")}
    with rpc_farm(2, tmp_path / "logs", key=KEY) as port:
        proc = subprocess.run(
            [CLI, "collect", "--suite", "farm", "--networks", "dcgan-b1", "--limit-tasks", "1", "--programs", "3",
             "--workers", "1", "--repeat", "2", "--min-repeat-ms", "1", "--work-dir", str(work),
             "--rpc-tracker", f"127.0.0.1:{port}", "--rpc-key", KEY, "--rpc-workers", "2"],
            check=False, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    summary = json.loads([x for x in proc.stdout.splitlines() if x.startswith('{"measured"')][-1])
    assert summary["measured"] == 3 and summary["failed"] == 0, summary

    (tdir,) = [d for d in work.iterdir() if (d / MEASUREMENTS).exists()]
    meas = [json.loads(x) for x in (tdir / MEASUREMENTS).read_text().splitlines()]
    records = [json.loads(x) for x in (tdir / RECORDS).read_text().splitlines()]
    assert len(meas) == len(records) == 3  # a batch of two in flight, then one
    assert len({m["mod_hash"] for m in meas}) == 3
    for rec, m in zip(records, meas):
        assert m["status"] == "ok" and len(m["run_secs"]) == 2 and all(x > 0 for x in m["run_secs"])
        assert rec[1][1] == m["run_secs"]
    # Both servers served sessions: the collector kept two programs in flight.
    served = [(tmp_path / "logs" / f"server{i}.log").read_text().count("connected from") for i in range(2)]
    assert all(n >= 1 for n in served), served
    from tircost_bench.suite.loader import Suite

    assert Suite(tmp_path / "suites" / "farm").manifest.counts["records"] == 3


def test_no_server_under_the_key_fails_fast(tmp_path):
    """With no server registered under the key, make_runner says so at once (RPCRunner would wait forever)."""
    pytest.importorskip("tornado", reason="the RPC tracker needs tornado (a project dependency)")
    from tircost_bench.collect.measure import MeasureSettings, RPCSettings, make_runner

    with rpc_farm(0, tmp_path / "logs", key=KEY) as port, pytest.raises(
            ValueError, match=r"(?s)Unable to find servers with the specific key.*tracker key: nobody"):
        make_runner(MeasureSettings(), RPCSettings("127.0.0.1", port, "nobody"))
