"""Measurement-farm throughput: programs/s through TVM's RPC tracker with one server and with two.

    nice -n 19 python benchmarks/bench_rpc.py --programs 16

Starts a tracker and servers on loopback (separate processes, ended on exit), builds `--programs` real
programs (a naive matmul, so each run costs real time), and measures them with the collector's own
batched path (Collector._run_programs over an RPCRunner with max_workers = servers), as
`tircost-bench collect --rpc-tracker ... --rpc-workers N` does. On one shared machine the servers compete
for the same cores, so the speed-up shows the overlap of RPC session set-up, upload and load with runs;
on a real farm (one server per machine) runs proceed in parallel as well.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

KEY = "tircost-bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _servers_up(port: int, key: str) -> int:
    from tvm import rpc

    try:
        summary = rpc.connect_tracker("127.0.0.1", port).summary()
    except Exception:  # noqa: BLE001 - not listening yet
        return 0
    return sum(1 for s in summary["server_info"] if s["key"].split(":")[-1] == key)


@contextmanager
def rpc_farm(n_servers: int, logs: Path, key: str = KEY):
    """A tracker and `n_servers` servers on loopback; yields the tracker port; ends every process it started."""
    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "tvm.exec.rpc_tracker", "--host", "127.0.0.1", "--port",
                               str(port), "--port-end", str(port + 1)], env=env, start_new_session=True,
                              stdout=open(logs / "tracker.log", "wb"),  # noqa: SIM115
                              stderr=subprocess.STDOUT)]
    try:
        for i in range(n_servers):
            sport = _free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "tvm.exec.rpc_server", "--host", "127.0.0.1", "--port", str(sport),
                 "--port-end", str(sport + 1), "--tracker", f"127.0.0.1:{port}", "--key", key],
                env=env, start_new_session=True, stdout=open(logs / f"server{i}.log", "wb"),  # noqa: SIM115
                stderr=subprocess.STDOUT))
        deadline = time.time() + 180
        while _servers_up(port, key) < n_servers:
            if time.time() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("RPC farm did not come up: " + (logs / "tracker.log").read_text()[-2000:])
            time.sleep(0.5)
        yield port
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)



def _programs(n: int, size: int) -> list:
    import tvm
    import tvm.s_tir.meta_schedule as ms
    from tvm import te
    from tvm.s_tir import Schedule

    from tircost_bench.collect.sampler import SampledProgram, build_module
    from tircost_bench.collect.targets import cpu_target

    target = tvm.target.Target(cpu_target())
    a, b = te.placeholder((size, size), name="A"), te.placeholder((size, size), name="B")
    k = te.reduce_axis((0, size), "k")
    c = te.compute((size, size), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
    mod = tvm.IRModule({"main": te.create_prim_func([a, b, c])})
    sch = Schedule(mod)
    record = ms.database.TuningRecord(sch.trace, ms.database.Workload(mod), None, target,
                                      ms.arg_info.ArgInfo.from_prim_func(mod["main"])).as_json()
    return [SampledProgram(record, str(i), build_module(sch.mod, target)) for i in range(n)]


def main(argv: list[str] | None = None) -> list[tuple[int, int, float]]:
    """Prints the table; returns (servers, programs ok, wall s) per server count."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--programs", type=int, default=16)
    ap.add_argument("--size", type=int, default=192, help="matmul size (naive loops: ~size^3 flops per run)")
    ap.add_argument("--servers", default="1,2", help="server counts to compare")
    ap.add_argument("--min-repeat-ms", type=int, default=20)
    args = ap.parse_args(argv)
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]  # import tvm without torch (faster)
    import tempfile

    from tircost_bench.collect.collector import CollectConfig, Collector
    from tircost_bench.collect.measure import MeasureSettings, RPCSettings
    from tircost_bench.collect.targets import cpu_target

    print(f"{args.programs} programs (naive matmul {args.size}^3), min_repeat_ms={args.min_repeat_ms}, "
          f"repeat=3, cores={os.cpu_count()}")
    rows = []
    for n in (int(x) for x in args.servers.split(",")):
        with rpc_farm(n, Path(tempfile.mkdtemp(prefix="tircost-farm-"))) as port:
            config = CollectConfig(target=cpu_target(), workers=1,
                                   measure=MeasureSettings(repeat=3, min_repeat_ms=args.min_repeat_ms),
                                   rpc=RPCSettings("127.0.0.1", port, KEY, max_workers=n))
            collector = Collector(Path(tempfile.mkdtemp()), config)
            try:
                collector._run_programs(_programs(n, args.size))  # warm-up: each server's first session
                progs = _programs(args.programs, args.size)
                start = time.perf_counter()
                results = []
                for i in range(0, len(progs), n):  # the collector's batching: n programs in flight
                    results += collector._run_programs(progs[i:i + n])
                wall = time.perf_counter() - start
            finally:
                collector.close()
        ok = sum(r[0] == "ok" for r in results)
        rows.append((n, ok, wall))
        print(f"servers={n} rpc_workers={n}: {ok}/{len(results)} ok, {wall:.1f} s, "
              f"{len(results) / wall:.2f} programs/s")
    if len(rows) > 1:
        print(f"speed-up {rows[0][0]} -> {rows[-1][0]} servers: {rows[0][2] / rows[-1][2]:.2f}x")
    return rows


def test_rpc():
    """8 programs through a loopback farm of 1 and of 2 servers (~1 min on 2 cores; no goal, info only)."""
    from goals import record

    rows = main(["--programs", "8"])
    assert all(ok == 8 for _, ok, _ in rows)
    for n, ok, wall in rows:
        record("rpc", f"loopback farm, {n} server(s)", ok / wall, "programs/s")
    record("rpc", "speed-up 1 -> 2 servers (one shared machine)", rows[0][2] / rows[-1][2], "x")


if __name__ == "__main__":
    main()
