"""The submission worker: the only process that imports and runs a submission's code.

Started fresh by `evaluation.host.WorkerHost` (a new interpreter, never a fork of the evaluator), confined
by `confine` before it imports anything, it serves requests over a pipe: create/fit/load/save/predict/
update one predictor per seed. It never loads a suite: what it receives is all it may see (test programs
without labels; train and val LabeledPrograms for fit). Predictors stay alive across the seeds of one
evaluation, so in-memory caches stay warm.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.evaluation import wire
from tircost_bench.predictors.interface import Predictor
from tircost_bench.predictors.submission import Submission, SubmissionMeta
from tircost_bench.suite.loader import LabeledPrograms

# The bootstrap run as `python -c` (see host.py): confine first, from a standard-library-only file loaded by
# path, then import the harness. argv[1] is the JSON plan written by the evaluator.
BOOTSTRAP = """
import importlib.util, json, sys
plan = json.loads(sys.argv[1])
sys.path[:] = plan["sys_path"]
spec = importlib.util.spec_from_file_location("tircost_confine", plan["confine_py"])
confine = importlib.util.module_from_spec(spec); spec.loader.exec_module(confine)
import tircost_bench  # the bare package (no imports): later imports resolve through its __path__
if plan["memory_limit"]:
    confine.limit_memory(plan["memory_limit"])
if plan["landlock"]:
    confine.restrict(plan["read"], plan["write"], plan["devices"])
from tircost_bench.evaluation.worker import serve
serve(plan["fd_in"], plan["fd_out"], plan["submission"], plan["meta"])
"""


class _Session:
    def __init__(self, folder: str, meta: dict[str, Any]) -> None:
        self.submission = Submission(Path(folder), SubmissionMeta(**meta))
        self.predictors: dict[int, Predictor] = {}
        self.program_lists: dict[int, list[Any]] = {}  # test programs kept across seeds (warm caches)

    def create(self, seed: int) -> dict[str, Any]:
        self.predictors[seed] = self.submission.create(seed)
        return {"trainable": bool(self.predictors[seed].trainable)}

    def fit(self, seed: int, train: wire.PackedPrograms, train_y: np.ndarray, val: wire.PackedPrograms,
            val_y: np.ndarray) -> None:
        self.predictors[seed].fit(LabeledPrograms(wire.unpack_programs(train), train_y),
                                  LabeledPrograms(wire.unpack_programs(val), val_y))

    def load(self, seed: int, directory: str) -> None:
        self.predictors[seed].load(Path(directory))

    def save(self, seed: int, directory: str) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        self.predictors[seed].save(Path(directory))

    def predict(self, seed: int, key: int, programs: wire.PackedPrograms | None) -> np.ndarray:
        if programs is not None:
            self.program_lists[key] = wire.unpack_programs(programs)
        raw = self.predictors[seed].predict(self.program_lists[key])
        try:
            return np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise _NotFloats(str(err)) from None

    def update(self, seed: int, programs: wire.PackedPrograms, latencies: np.ndarray) -> None:
        self.predictors[seed].update(wire.unpack_programs(programs), latencies)


class _NotFloats(TypeError):
    """predict returned values numpy cannot turn into float64 (reported as InvalidPredictionsError)."""


OPS = ("create", "fit", "load", "save", "predict", "update")


def serve(fd_in: int, fd_out: int, folder: str, meta: dict[str, Any]) -> None:
    """Answer requests until "exit" or end of input. Every exception of submission code is a reply."""
    session: _Session | None = None
    wire.send_reply(fd_out, "ok", value="ready")  # started and confined: calls are timed from here on
    while True:
        try:
            op, args = wire.recv_request(fd_in)
        except EOFError:
            return
        try:
            if op == "exit":
                wire.send_reply(fd_out, "ok")
                return
            if op not in OPS:
                raise wire.ProtocolError(f"unknown request {op!r}")
            if session is None:
                session = _Session(folder, meta)
            value = getattr(session, op)(*args)
            if isinstance(value, np.ndarray):
                wire.send_reply(fd_out, "ok", value.reshape(-1), shape=list(value.shape))
            else:
                wire.send_reply(fd_out, "ok", value=value)
        except BaseException as err:  # noqa: BLE001 - everything goes back to the evaluator, which decides
            kind = "InvalidPredictionsError" if isinstance(err, _NotFloats) else type(err).__name__
            wire.send_reply(fd_out, "error", type=kind, message=str(err), traceback=traceback.format_exc())
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                return
        sys.stdout.flush()
