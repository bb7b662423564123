"""Where submission code runs, seen from the evaluator: `WorkerHost` (a confined worker process, the
default) or `InProcessHost` (isolation "none": benchmarks, and platforms without subprocess pipes).

Both offer create/fit/load/save/predict/update per seed and raise `SubmissionCallError` (one-line cause,
full traceback) when the submission fails, hangs, dies or breaks the protocol.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Self

import numpy as np

from tircost_bench.evaluation import confine, wire
from tircost_bench.paths import PACKAGE_DIR, PROJECT_ROOT, cache_dir, suites_dir
from tircost_bench.predictors.submission import Submission

ISOLATION_LEVELS = ("auto", "landlock", "process", "none")
STARTUP_LIMIT_SEC = 300.0  # a cold interpreter importing numpy on a loaded machine
SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/proc", "/sys")


def default_memory_limit() -> int:
    """80% of physical memory: a runaway submission fails with MemoryError before the machine swaps."""
    try:
        return int(0.8 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


class SubmissionCallError(RuntimeError):
    """A call into submission code failed; str() is the one-line cause, `.traceback` the full story."""

    def __init__(self, message: str, tb: str = "", kind: str = "") -> None:
        super().__init__(message)
        self.traceback, self.kind = tb, kind


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _is_checkout(path: str) -> bool:
    return os.path.exists(os.path.join(path, ".git")) or os.path.isdir(os.path.join(path, "suites"))


def read_paths(submission: Submission) -> list[str]:
    """What the worker may read: the Python environment, the harness package, the submission, system files.
    A sys.path entry that holds the project root (suites, .git) is left out: the package folder is granted."""
    forbidden = [PROJECT_ROOT.resolve(), suites_dir().resolve(), cache_dir().resolve()]
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(PACKAGE_DIR), str(submission.folder)}
    found |= {p for p in sys.path if p and os.path.isdir(p)}
    out = []
    for p in sorted({os.path.realpath(x) for x in found}):
        if p != str(PACKAGE_DIR.resolve()) and p != str(submission.folder) and (
                any(_inside(f, Path(p)) for f in forbidden) or _is_checkout(p)):
            continue  # an ancestor of the suites, or a checkout (an editable install's): it would grant them
        out.append(p)
    return [*out, *SYSTEM_READ]


def cache_paths() -> list[str]:
    """The content-keyed representation caches (never the decompressed suites under cache_dir())."""
    from tircost_bench.representations.ast_graph import GRAPH_VERSION

    base = cache_dir()
    (base / "features").mkdir(parents=True, exist_ok=True)
    (base / f"ast_graph-v{GRAPH_VERSION}").mkdir(parents=True, exist_ok=True)
    return [str(base / "features"), *(str(p) for p in sorted(base.glob("ast_graph-v*")))]


def check_submission_folder(submission: Submission, label_files: list[Path]) -> None:
    """Refuse a submission folder that holds the suites or a hard link to a label file (routes Landlock's
    path rules cannot see: a hard link is the same file under a readable name)."""
    folder = submission.folder
    if any(_inside(Path(p).resolve(), folder) for p in (suites_dir(), PROJECT_ROOT)):
        raise SubmissionCallError(f"{folder}: a submission folder must not contain the suites or the project; "
                                  "move the submission into its own folder")
    inodes = {(s.st_dev, s.st_ino): p for p in label_files if p.exists() for s in [p.stat()]}
    for path in folder.rglob("*"):
        try:
            st = path.lstat()
        except OSError:
            continue
        if st.st_nlink > 1 and (st.st_dev, st.st_ino) in inodes:
            raise SubmissionCallError(f"{path} is a hard link to the test labels {inodes[st.st_dev, st.st_ino]}; "
                                      "remove it (submissions train on the train/val labels given to fit)")


def _stderr_fd() -> int:
    """The worker's prints go to our stderr (its bars too): stdout may carry a command's output."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stream (pytest, CliRunner): the real fd 2
        return 2


class WorkerHost:
    """A fresh, confined interpreter running the submission; one per evaluation (caches stay warm)."""

    def __init__(self, submission: Submission, who: str, time_limit_sec: float | None = None,
                 memory_limit: int | None = None, isolation: str = "auto", writable: tuple[Path, ...] = ()) -> None:
        if isolation not in ("auto", "landlock", "process"):
            raise ValueError(f"WorkerHost isolation must be auto, landlock or process, not {isolation!r}")
        abi = confine.abi_version()
        if isolation == "landlock" and abi < 1:
            raise SubmissionCallError("isolation 'landlock' asked for, but this kernel has no Landlock; "
                                      "use --isolation process (or auto)")
        self.isolation = "landlock" if isolation != "process" and abi >= 1 else "process"
        self.submission, self.who, self.time_limit = submission, who, time_limit_sec
        self.memory_limit = default_memory_limit() if memory_limit is None else memory_limit
        self.scratch = Path(tempfile.mkdtemp(prefix="tircost-worker-"))
        # /dev/shm: POSIX semaphores and shared memory of multiprocessing pools the submission may start
        self.writable = [str(self.scratch), *cache_paths(), "/dev/shm", *(str(p) for p in writable)]
        self._sent: dict[int, list[Any]] = {}  # program lists the worker holds, by id
        for p in writable:
            Path(p).mkdir(parents=True, exist_ok=True)
        try:
            self._start()
        except BaseException:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise

    def _start(self) -> None:
        to_worker, self._in = os.pipe()  # the worker reads requests from to_worker
        self._out, from_worker = os.pipe()
        plan = {"sys_path": [str(PACKAGE_DIR.parent), *(p for p in sys.path if p)],
                "confine_py": str(Path(confine.__file__).resolve()), "memory_limit": self.memory_limit,
                "landlock": self.isolation == "landlock", "read": read_paths(self.submission),
                "write": self.writable, "devices": ["/dev"], "fd_in": to_worker, "fd_out": from_worker,
                "submission": str(self.submission.folder), "meta": dataclasses.asdict(self.submission.meta)}
        env = {**os.environ, "TMPDIR": str(self.scratch), "MPLCONFIGDIR": str(self.scratch / "mpl"),
               "TRITON_CACHE_DIR": str(self.scratch / "triton"), "PYTHONDONTWRITEBYTECODE": "1"}
        from tircost_bench.evaluation.worker import BOOTSTRAP

        self.proc = subprocess.Popen(  # a new interpreter: nothing of this process's memory comes along
            [sys.executable, "-c", BOOTSTRAP, json.dumps(plan)], pass_fds=(to_worker, from_worker),
            stdin=subprocess.DEVNULL, stdout=_stderr_fd(), cwd=self.scratch, env=env,
            start_new_session=True)
        os.close(to_worker)
        os.close(from_worker)
        try:  # the interpreter's start is not the submission's time: it gets its own, generous limit
            ready = wire.parse_header(self._frame(time.monotonic() + STARTUP_LIMIT_SEC, 4096))
        except (TimeoutError, EOFError, wire.ProtocolError) as err:
            self.kill()
            raise SubmissionCallError(f"{self.who}: the submission worker did not start ({type(err).__name__}: "
                                      f"{err}; {self._exit_reason()})", kind="crash") from None
        if ready.get("value") != "ready":
            self.kill()
            raise SubmissionCallError(f"{self.who}: the submission worker did not start: {ready}", kind="crash")

    # --- the protocol, with a deadline on every byte -----------------------------------------------------

    def _wait(self, fd: int, deadline: float | None, write: bool = False) -> None:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError
        ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
        if not (ready[1] if write else ready[0]):
            raise TimeoutError

    def _send(self, payload: bytes, deadline: float | None) -> None:
        data = memoryview(wire._LEN.pack(len(payload)) + payload)
        while data:
            self._wait(self._in, deadline, write=True)
            data = data[os.write(self._in, data[: 1 << 16]):]

    def _read(self, n: int, deadline: float | None) -> bytes:
        chunks, left = [], n
        while left:
            self._wait(self._out, deadline)
            chunk = os.read(self._out, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _frame(self, deadline: float | None, limit: int) -> bytes:
        n = int(wire._LEN.unpack(self._read(wire._LEN.size, deadline))[0])
        if n > limit:
            raise wire.ProtocolError(f"reply frame of {n} bytes (at most {limit} expected)")
        return self._read(n, deadline)

    def call(self, what: str, op: str, *args: Any, array_size: int = 0) -> tuple[dict[str, Any], np.ndarray | None]:
        if self.proc.poll() is not None:
            raise SubmissionCallError(f"{self.who}: {what}: the worker is no longer running")
        request = wire.dumps_request(op, *args)
        deadline = time.monotonic() + self.time_limit if self.time_limit else None
        try:
            self._send(request, deadline)
            header = wire.parse_header(self._frame(deadline, wire.MAX_REPLY_HEADER))
            array = None
            if header["array_bytes"] >= 0:
                array = wire.decode_array(self._frame(deadline, max(8 * array_size, header["array_bytes"], 8)))
        except TimeoutError:
            self.kill()
            raise SubmissionCallError(f"{self.who}: {what} ran past the time limit of {self.time_limit:g} s",
                                      kind="timeout") from None
        except (EOFError, BrokenPipeError):
            raise SubmissionCallError(f"{self.who}: {what}: the worker died ({self._exit_reason()})",
                                      kind="crash") from None
        except wire.ProtocolError as err:
            self.kill()
            raise SubmissionCallError(f"{self.who}: {what}: the worker broke the protocol: {err}",
                                      traceback.format_exc(), kind="protocol") from None
        if header["kind"] == "error":
            raise SubmissionCallError(self._describe(what, header), str(header.get("traceback", "")),
                                      kind=str(header.get("type", "")))
        return header, array

    def _describe(self, what: str, header: dict[str, Any]) -> str:
        kind, message = str(header.get("type", "Error")), str(header.get("message", ""))
        message = " | ".join(x.strip() for x in message.splitlines() if x.strip())[:600]  # the cause in one line
        line = f"{self.who}: {what} raised {kind}: {message}"
        if kind == "InvalidPredictionsError":
            line = f"{self.who}: predict returned values not convertible to float64 ({message})"
        elif kind == "MemoryError":
            line += f" (the worker's memory limit is {self.memory_limit / 2**30:.1f} GiB; see --memory-limit)"
        elif kind == "PermissionError" and self.isolation == "landlock":
            line += " (the worker may read only the environment and its submission, and write only its scratch, "\
                    "checkpoint and cache folders)"
        return line

    def _exit_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "closed its pipe and was killed"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    # --- the Predictor calls -------------------------------------------------------------------------

    def create(self, seed: int) -> bool:
        header, _ = self.call("constructing the predictor", "create", seed)
        value = header.get("value")
        if not isinstance(value, dict) or not isinstance(value.get("trainable"), bool):
            self.kill()
            raise SubmissionCallError(f"{self.who}: the worker broke the protocol: create replied {value!r}",
                                      kind="protocol")
        return value["trainable"]

    def fit(self, seed: int, train: Any, val: Any) -> None:
        self.call("fit", "fit", seed, wire.pack_programs(train.programs), train.latencies,
                  wire.pack_programs(val.programs), val.latencies)

    def load(self, seed: int, directory: Path) -> None:
        self.call("load", "load", seed, str(directory))

    def save(self, seed: int, directory: Path) -> None:
        self.call("save", "save", seed, str(directory))

    def update(self, seed: int, programs: list[Any], latencies: np.ndarray) -> None:
        self.call("update", "update", seed, wire.pack_programs(programs), np.asarray(latencies))

    def predict(self, seed: int, programs: list[Any]) -> Any:
        """The same list object is sent once and kept by the worker: later seeds predict on the programs it
        already holds, with their in-memory caches (features, graphs) warm."""
        key = id(programs)
        first = self._sent.get(key) is not programs
        if first:
            self._sent[key] = programs  # held, so that the id stays this list's
        header, array = self.call("predict", "predict", seed, key, wire.pack_programs(programs) if first else None,
                                  array_size=len(programs))
        shape = header.get("shape")
        if array is None or not isinstance(shape, list) or int(np.prod(shape)) != array.size:
            self.kill()
            raise SubmissionCallError(f"{self.who}: predict: the worker broke the protocol (no prediction array)",
                                      kind="protocol")
        return array.reshape(shape)

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and anything it started
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send(wire.dumps_request("exit"), time.monotonic() + 5)
                self.proc.wait(timeout=10)
            except (OSError, TimeoutError, subprocess.TimeoutExpired):
                pass
        self.kill()
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcessHost:
    """Submission code in this process (isolation "none"): no confinement, no time limit. For benchmarks
    of the isolation overhead and for platforms where the worker cannot run."""

    isolation = "none"

    def __init__(self, submission: Submission, who: str, **_: Any) -> None:
        self.submission, self.who = submission, who
        self.predictors: dict[int, Any] = {}

    def _run(self, what: str, fn: Any) -> Any:
        try:
            return fn()
        except Exception as err:
            raise SubmissionCallError(f"{self.who}: {what} raised {type(err).__name__}: {err}",
                                      traceback.format_exc(), kind=type(err).__name__) from err

    def create(self, seed: int) -> bool:
        self.predictors[seed] = self._run("constructing the predictor", lambda: self.submission.create(seed))
        return bool(self.predictors[seed].trainable)

    def fit(self, seed: int, train: Any, val: Any) -> None:
        self._run("fit", lambda: self.predictors[seed].fit(train, val))

    def load(self, seed: int, directory: Path) -> None:
        self._run("load", lambda: self.predictors[seed].load(Path(directory)))

    def save(self, seed: int, directory: Path) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        self._run("save", lambda: self.predictors[seed].save(Path(directory)))

    def update(self, seed: int, programs: list[Any], latencies: np.ndarray) -> None:
        self._run("update", lambda: self.predictors[seed].update(programs, latencies))

    def predict(self, seed: int, programs: list[Any]) -> Any:
        return self._run("predict", lambda: self.predictors[seed].predict(programs))

    def close(self) -> None:
        self.predictors.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_host(submission: Submission, who: str, isolation: str = "auto", time_limit_sec: float | None = None,
              memory_limit: int | None = None, writable: tuple[Path, ...] = ()) -> WorkerHost | InProcessHost:
    if isolation not in ISOLATION_LEVELS:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATION_LEVELS)}, not {isolation!r}")
    if isolation == "none" or (isolation == "auto" and sys.platform == "win32"):  # no pass_fds/select on pipes
        return InProcessHost(submission, who)
    return WorkerHost(submission, who, time_limit_sec, memory_limit, isolation, writable)
