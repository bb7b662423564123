"""Targets by preset name, and a description of the hardware a suite is measured on."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from typing import Any


def cpu_target(num_cores: int | None = None) -> dict[str, Any]:
    """The host CPU as an llvm target; mcpu is detected so that LLVM uses the real vector ISA (AVX2 etc.)."""
    import tvm

    return {
        "kind": "llvm",
        "mcpu": str(tvm.target.codegen.llvm_get_system_cpu()),
        "num-cores": int(num_cores or os.cpu_count() or 1),
    }


def cuda_target(arch: str = "sm_90") -> dict[str, Any]:
    """An NVIDIA GPU; sm_90 is the H100/H200. Limits are Hopper's, used by VerifyGPUCode."""
    return {
        "kind": "cuda",
        "arch": arch,
        "max_threads_per_block": 1024,
        "max_shared_memory_per_block": 49152,
        "thread_warp_size": 32,
        "registers_per_block": 65536,
        "host": {"kind": "llvm"},
    }


def target_from_preset(preset: str) -> dict[str, Any]:
    if preset == "cpu":
        return cpu_target()
    if preset.startswith("cuda"):
        _, _, arch = preset.partition(":")
        return cuda_target(arch or "sm_90")
    raise ValueError(f"unknown target preset {preset!r}: use 'cpu' or 'cuda[:sm_XX]'")


def device_type(target: dict[str, Any]) -> str:
    """The runtime device string TVM's runners take for a target dict."""
    return "cuda" if target["kind"] == "cuda" else "cpu"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _nvidia_smi() -> dict[str, str]:
    if not shutil.which("nvidia-smi"):
        return {}
    q = "name,driver_version,memory.total"
    out = subprocess.run(
        ["nvidia-smi", f"--query-gpu={q}", "--format=csv,noheader"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not out:
        return {}
    name, driver, mem = [s.strip() for s in out.splitlines()[0].split(",")]
    info = {"gpu": name, "driver": driver, "gpu_memory": mem}
    ver = subprocess.run(["nvidia-smi"], capture_output=True, text=True, check=False).stdout
    if "CUDA Version:" in ver:
        info["cuda"] = ver.split("CUDA Version:")[1].split()[0]
    return info


def describe_platform(target: dict[str, Any]) -> dict[str, Any]:
    """What the manifest records about the measuring machine."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "os": platform.platform(),
    }
    if target["kind"] == "cuda":
        info.update(_nvidia_smi())
    return info
