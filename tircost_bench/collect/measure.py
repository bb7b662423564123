"""Measuring built programs with TVM's own runners (LocalRunner, or RPCRunner through a tracker)."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from tircost_bench.records import STATUS_OK

_TIMEOUT_ERROR = re.compile(r"\b\w*TimeoutError\b")


@dataclass(frozen=True)
class MeasureSettings:
    """time_evaluator settings; `repeat` separate timings give each record its own noise figure."""

    number: int = 1
    repeat: int = 3
    min_repeat_ms: int = 40
    timeout_sec: float = 20.0
    enable_cpu_cache_flush: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def evaluator_config(self) -> Any:
        from tvm.s_tir.meta_schedule.runner import EvaluatorConfig

        return EvaluatorConfig(
            number=self.number,
            repeat=self.repeat,
            min_repeat_ms=self.min_repeat_ms,
            enable_cpu_cache_flush=self.enable_cpu_cache_flush,
        )


@dataclass(frozen=True)
class RPCSettings:
    tracker_host: str
    tracker_port: int
    device_key: str
    max_workers: int = 1


def make_runner(settings: MeasureSettings, rpc: RPCSettings | None = None) -> Any:
    """LocalRunner on this machine, or RPCRunner over a tracker's servers (a measurement farm)."""
    from tvm.s_tir.meta_schedule.runner import LocalRunner, RPCConfig, RPCRunner

    if rpc is None:
        return LocalRunner(timeout_sec=settings.timeout_sec, evaluator_config=settings.evaluator_config())
    config = RPCConfig(
        tracker_host=rpc.tracker_host,
        tracker_port=rpc.tracker_port,
        tracker_key=rpc.device_key,
        session_timeout_sec=int(settings.timeout_sec),
    )
    # Fail fast with TVM's own message naming tracker and key: with no server under the key, every
    # RPCRunner request would wait in the tracker's queue forever.
    config.count_num_servers(allow_missing=False)
    return RPCRunner(
        rpc_config=config,
        evaluator_config=settings.evaluator_config(),
        max_workers=rpc.max_workers,
    )


def classify(run_secs: Any, error_msg: str | None) -> tuple[str, list[float], str]:
    """(status, repeat latencies, error) from a RunnerResult; timeouts are told apart from runtime faults."""
    if error_msg:
        # Only the runner's own verdict counts as a timeout ("LocalRunner: Timeout, killed after ..." on the first
        # line, or a *TimeoutError raised by the session): a traceback that merely mentions a `timeout_sec`
        # argument, or "timeout (sec): 10" in an RPC connection error, is a runtime fault (TenSet issue #22).
        first, _, rest = str(error_msg).partition("\n")
        kind = "timeout" if ("timeout" in first.lower() or _TIMEOUT_ERROR.search(rest)) else "runtime_error"
        return kind, [], str(error_msg)[-2000:]
    secs = [float(x) for x in (run_secs or [])]  # RunnerResult holds FloatImm objects
    if not secs or not all(math.isfinite(x) and x > 0 for x in secs):
        return "runtime_error", [], f"runner returned unusable timings {secs!r}"
    return STATUS_OK, secs, ""
