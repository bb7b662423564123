"""The evaluator <-> worker protocol: length-prefixed frames over a pair of pipes.

Requests (evaluator -> worker) are pickles: the worker trusts its parent. Replies (worker -> evaluator) are
never unpickled: the worker runs untrusted code, and unpickling its bytes would run that code in the
process that holds the test labels. A reply is a JSON header, plus (for predictions) raw float64 bytes.
"""

from __future__ import annotations

import gc
import io
import json
import os
import pickle
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

_LEN = struct.Struct("!Q")
MAX_REPLY_HEADER = 16 << 20  # a traceback fits in far less; more is garbage
REPLY_KINDS = ("ok", "error")


class ProtocolError(RuntimeError):
    """The other side sent something that is not a frame of this protocol."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError(f"pipe closed with {left} of {n} bytes unread")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def send_frame(fd: int, payload: bytes) -> None:
    _write_all(fd, _LEN.pack(len(payload)) + payload)


def read_length(fd: int) -> int:
    return int(_LEN.unpack(read_exact(fd, _LEN.size))[0])


@dataclass
class PackedPrograms:
    """Programs as plain rows + their distinct workloads: a request made of trees only, which the pickler
    can write without its memo (`fast`): 10x quicker for h100's 9,942 test programs (0.24 s, was 2.3 s)."""

    workloads: list[tuple[str, Any, Any]]  # (task_id, workload line, target json)
    rows: list[tuple[int, str, tuple[str, ...], int, Any]]  # (uid, task_id, networks, workload index, record)


def pack_programs(programs: Sequence[Any]) -> PackedPrograms:
    index: dict[int, int] = {}
    workloads, rows = [], []
    for p in programs:
        w = index.get(id(p.workload))
        if w is None:
            w = index[id(p.workload)] = len(workloads)
            workloads.append((p.workload.task_id, p.workload._line, p.workload.target_json))
        rows.append((p.uid, p.task_id, p.networks, w, p._record_json))
    return PackedPrograms(workloads, rows)


def unpack_programs(packed: PackedPrograms) -> list[Any]:
    from tircost_bench.representations.program import Program, Workload

    workloads = [Workload(task_id, line, target) for task_id, line, target in packed.workloads]
    programs = [Program(uid, task_id, networks, workloads[w], record) for uid, task_id, networks, w, record
                in packed.rows]
    return programs


def dumps_request(op: str, *args: Any) -> bytes:
    """A request; its arguments must hold no shared or cyclic objects (pack programs first)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: the arguments are trees
    with _gc_paused():
        pickler.dump((op, args))
    return out.getvalue()


def recv_request(fd: int) -> tuple[str, tuple[Any, ...]]:
    """The next request. Programs are millions of small lists: the cyclic GC would rescan them on every
    allocation burst (4x the unpickling time on cpu-epyc2), so it pauses, and what arrived is frozen."""
    raw = read_exact(fd, read_length(fd))
    with _gc_paused():
        op, args = pickle.loads(raw)
    gc.freeze()
    return op, args


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def send_reply(fd: int, kind: str, array: np.ndarray | None = None, **fields: Any) -> None:
    """kind "ok" (optional float64 `array`) or "error" (fields: type, message, traceback)."""
    blob = b"" if array is None else np.ascontiguousarray(array, dtype=np.float64).tobytes()
    header = json.dumps({"kind": kind, "array_bytes": len(blob) if array is not None else -1, **fields})
    send_frame(fd, header.encode())
    if array is not None:
        send_frame(fd, blob)


def parse_header(raw: bytes) -> dict[str, Any]:
    """A reply header, checked: JSON object with a known kind; ProtocolError otherwise."""
    try:
        header = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolError(f"reply is not a JSON header ({err}): {raw[:60]!r}") from None
    if not isinstance(header, dict) or header.get("kind") not in REPLY_KINDS:
        raise ProtocolError(f"unknown protocol message {raw[:120]!r}")
    if not isinstance(header.get("array_bytes", -1), int):
        raise ProtocolError("reply header's array_bytes is not an integer")
    return header


def decode_array(blob: bytes) -> np.ndarray:
    if len(blob) % 8:
        raise ProtocolError(f"prediction payload of {len(blob)} bytes is not a float64 array")
    return np.frombuffer(blob, dtype=np.float64).copy()
