"""Where things live: the project checkout (suites, leaderboard) and the per-user cache."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def suites_dir() -> Path:
    """Shipped suites; TIRCOST_SUITES_DIR points elsewhere (tests, private suites)."""
    return Path(os.environ.get("TIRCOST_SUITES_DIR", PROJECT_ROOT / "suites"))


def leaderboard_dir() -> Path:
    return Path(os.environ.get("TIRCOST_LEADERBOARD_DIR", PROJECT_ROOT / "leaderboard"))


def runs_dir() -> Path:
    """The user's own results files, one folder per `evaluate` (git-ignored; TIRCOST_RUNS_DIR elsewhere)."""
    return Path(os.environ.get("TIRCOST_RUNS_DIR", leaderboard_dir() / "runs"))


def cache_dir() -> Path:
    """Decompressed suites and derived representations (features, graphs), keyed by suite sha256."""
    base = os.environ.get("TIRCOST_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "tircost-bench"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path
