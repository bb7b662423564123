"""A preflight check of the MLflow tracking store, in seconds, before any work is done: MLflow itself
retries an unreachable server for minutes and answers a file store with a long traceback."""

from __future__ import annotations

import os
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

from tircost_bench.errors import StoreError

NO_TRACK = "or pass --no-track to evaluate without recording the run"


def sqlite_path(uri: str) -> Path:
    return Path(unquote(uri[len("sqlite:///"):]))


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_sqlite(uri: str) -> None:
    db = sqlite_path(uri)
    folder = db.parent
    base = _nearest_existing(folder)
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise StoreError(f"MLflow store {uri}: cannot write to {base} (the database and its mlartifacts/ live in "
                         f"{folder}); point MLFLOW_TRACKING_URI at a writable sqlite:///PATH/mlflow.db, {NO_TRACK}")
    if not db.exists():
        return
    try:  # a write lock proves the file and its folder (journal) are writable; busy waits at most 3 s
        con = sqlite3.connect(db, timeout=3)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
        finally:
            con.close()
    except sqlite3.Error as err:
        if "locked" in str(err).lower():  # busy with another evaluation's write: usable, not broken
            return
        raise StoreError(f"MLflow store {uri}: {err}; make {db} writable or use another "
                         f"MLFLOW_TRACKING_URI=sqlite:///PATH/mlflow.db, {NO_TRACK}") from None


def _check_http(uri: str, timeout: float) -> None:
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout) as resp:
            if resp.status >= 400:
                raise StoreError(f"MLflow server {uri} answered HTTP {resp.status}; check the server, {NO_TRACK}")
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise StoreError(f"MLflow server {uri} is unreachable ({reason}); start it or fix MLFLOW_TRACKING_URI, "
                         f"{NO_TRACK}") from None


def check_store(uri: str, timeout: float = 3.0) -> None:
    """Raise StoreError (one line: the problem and the fix) unless runs can be recorded at `uri`."""
    scheme = urlparse(uri).scheme
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        folder = Path(unquote(urlparse(uri).path) if scheme == "file" else uri).resolve()
        raise StoreError(f"MLFLOW_TRACKING_URI={uri} is a file store, which MLflow 3 refuses; use "
                         f"MLFLOW_TRACKING_URI=sqlite:///{folder}/mlflow.db, {NO_TRACK}")
    if scheme == "sqlite":
        _check_sqlite(uri)
    elif scheme in ("http", "https"):
        _check_http(uri, timeout)
    # other schemes (postgresql, databricks, ...) are left to MLflow


def store_status(uri: str) -> str:
    """'writable' or the problem, for `tircost-bench info`."""
    try:
        check_store(uri)
    except StoreError as err:
        return f"NOT usable: {err}"
    return "writable" if urlparse(uri).scheme == "sqlite" else "reachable"
