"""Hostile submission (tests/test_isolation.py): one class per route by which a submission could reach the
test labels, from the issue (#19) and beyond. Each returns the stolen latencies when its route is open, and
raises RouteClosed (saying what it tried) when the route gave nothing; the OS refusing the route raises its
own error (PermissionError and the like). Run in-process (isolation "none") the open routes score 1.0."""

from __future__ import annotations

import ctypes
import gc
import json
import lzma
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor

LABELS = "measurements.jsonl.xz"


class RouteClosed(RuntimeError):
    """The route was tried and gave no labels."""


def latencies_from_sidecar(path: str | Path, programs: list) -> np.ndarray:
    with lzma.open(path, "rt") as f:
        lines = f.read().splitlines()
    return np.array([np.mean(json.loads(lines[p.uid])["run_secs"]) for p in programs])


def latencies_from_labels(labels: object, programs: list) -> np.ndarray:
    by_uid = dict(zip(np.asarray(labels.uids).tolist(), np.asarray(labels.latencies).tolist()))
    return np.array([by_uid[p.uid] for p in programs])


def suite_folder() -> str:
    return os.environ["TIRCOST_FAULTY_SUITE"]


class Thief(UntrainedPredictor):
    def predict(self, programs):
        return self.steal(list(programs))


class StealMemo(Thief):
    """Route 1: the loader's module memo, and load_suite() itself."""

    def steal(self, programs):
        from tircost_bench.suite import loader

        for suite in loader._LOADED.values():
            return np.array([suite.measurements[p.uid].latency for p in programs])
        suite = loader.load_suite(suite_folder())  # reads the suite's files: the OS must refuse
        return np.array([suite.measurements[p.uid].latency for p in programs])


class StealStack(Thief):
    """Route 2: the evaluator's locals on the call stack."""

    def steal(self, programs):
        frame = sys._getframe()
        while frame is not None:
            for value in frame.f_locals.values():
                if hasattr(value, "latencies") and hasattr(value, "uids"):
                    return latencies_from_labels(value, programs)
            frame = frame.f_back
        raise RouteClosed("no test labels on the call stack")


class StealGc(Thief):
    """Route 3: every object the interpreter tracks."""

    def steal(self, programs):
        for obj in gc.get_objects():
            if type(obj).__name__ == "TestLabels":
                return latencies_from_labels(obj, programs)
        raise RouteClosed("no TestLabels among gc.get_objects()")


class StealCp(Thief):
    """Route 4: a shell command copies the labels file (audit hooks never see it)."""

    def steal(self, programs):
        rc = os.system(f"cp {suite_folder()}/{LABELS} ./stolen.xz")
        if rc != 0:
            raise RouteClosed(f"cp of the labels file exited with status {rc}")
        return latencies_from_sidecar("stolen.xz", programs)


class StealHardLink(Thief):
    """Route 5: a hard link to the labels file under another name."""

    def steal(self, programs):
        os.link(f"{suite_folder()}/{LABELS}", "linked.xz")
        return latencies_from_sidecar("linked.xz", programs)


class StealCheckout(Thief):
    """Route 6: another copy of the suite on disk."""

    def steal(self, programs):
        return latencies_from_sidecar(Path(os.environ["TIRCOST_FAULTY_COPY"]) / LABELS, programs)


class StealGit(Thief):
    """Route 7: git ls-tree + git cat-file of the repository's suites."""

    def steal(self, programs):
        import tircost_bench

        repo = Path(tircost_bench.__file__).resolve().parents[1]
        listed = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "HEAD", "suites"],
                                capture_output=True, text=True, check=False)
        if listed.returncode != 0 or LABELS not in listed.stdout:
            raise RouteClosed(f"git ls-tree failed: {listed.stderr.strip()[:200]}")
        blob = next(line.split()[2] for line in listed.stdout.splitlines() if LABELS in line)
        data = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", blob], capture_output=True,
                              check=False)
        if data.returncode != 0:
            raise RouteClosed(f"git cat-file failed: {data.stderr.decode()[:200]}")
        Path("blob.xz").write_bytes(data.stdout)
        return latencies_from_sidecar("blob.xz", programs)


class StealProc(Thief):
    """The evaluator's memory and environment through /proc."""

    def steal(self, programs):
        parent = os.getppid()
        Path(f"/proc/{parent}/environ").read_bytes()
        with open(f"/proc/{parent}/mem", "rb") as f:
            f.read(1)
        raise RouteClosed("read /proc of the evaluator, but found no labels in it")


class StealPtrace(Thief):
    """Attach to the evaluator with ptrace (then PEEKDATA its memory)."""

    def steal(self, programs):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.ptrace(16, os.getppid(), None, None) != 0:  # PTRACE_ATTACH
            err = ctypes.get_errno()
            raise PermissionError(err, f"ptrace(ATTACH, evaluator): {os.strerror(err)}")
        raise RouteClosed("attached to the evaluator but did not read it")


class StealEnv(Thief):
    """Environment variables: any that names a suite folder, then the labels file in it."""

    def steal(self, programs):
        for value in os.environ.values():
            if os.path.exists(os.path.join(value, LABELS)):
                return latencies_from_sidecar(os.path.join(value, LABELS), programs)
        raise RouteClosed("no environment variable names a readable suite")


class StealNetwork(Thief):
    """A TCP connection out (to the evaluator or anywhere)."""

    def steal(self, programs):
        with socket.create_connection(("127.0.0.1", 9), timeout=2):
            pass
        raise RouteClosed("connected, but nobody serves labels")


class SignalEvaluator(Thief):
    """Stop the evaluator with a signal (it holds the labels)."""

    def steal(self, programs):
        os.kill(os.getppid(), signal.SIGSTOP)
        raise RouteClosed("signalled the evaluator")


class ForgeProtocol(Thief):
    """Write an unknown message into the reply pipe to the evaluator."""

    def steal(self, programs):
        fd_out = json.loads(sys.argv[1])["fd_out"]
        message = b'{"kind": "give-me-labels"}'
        os.write(fd_out, len(message).to_bytes(8, "big") + message)
        raise RouteClosed("forged a message")


class HogMemory(Thief):
    """Allocate far past the memory limit."""

    def steal(self, programs):
        hog = bytearray(8 << 30)
        return np.ones(len(programs)) * len(hog)


class Crash(Thief):
    """Kill its own interpreter from inside predict."""

    def steal(self, programs):
        os.abort()


class WriteOutside(Thief):
    """Write next to its own folder (outside scratch, checkpoint and cache folders)."""

    def steal(self, programs):
        Path(__file__).with_name("planted.txt").write_text("hostile")
        return np.ones(len(programs))
