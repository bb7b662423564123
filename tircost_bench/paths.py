"""Where things live. One resolution order for every location, first match wins:

1. an explicit option (`--suite PATH`, a submission path, the global `--home DIR`);
2. an environment variable: TIRCOST_SUITES_DIR, TIRCOST_LEADERBOARD_DIR, TIRCOST_RUNS_DIR,
   TIRCOST_CACHE_DIR, MLFLOW_TRACKING_URI for one location, TIRCOST_HOME for a project root;
3. the current project: the nearest folder at or above the working directory whose pyproject.toml names
   tircost-bench, or that holds a `.tircost-bench` marker file;
4. the checkout the package was imported from (an editable install or PYTHONPATH);
5. nothing found (a plain `pip install` used outside any project): suites are ./suites of the working
   directory (usually absent: pass suites as paths), and the leaderboard folder (with the MLflow store) is a
   per-user data folder.

`tircost-bench info` prints every location and which rule chose it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder above the package: a checkout when imported from one (git provenance, the shipped baselines).
PROJECT_ROOT = PACKAGE_DIR.parent
PROJECT_MARKER = ".tircost-bench"
HOME_ENV = "TIRCOST_HOME"
SUBMISSION_FOLDERS = ("submissions", "baselines")
PACKAGE_CHECKOUT = "the checkout tircost_bench was imported from"

_explicit_home: Path | None = None


@dataclass(frozen=True)
class Location:
    """A resolved location and the rule that chose it (printed by `tircost-bench info`)."""

    name: str
    path: str  # a folder, or a URI for the MLflow store
    source: str


def set_home(path: Path | None) -> None:
    """The global `--home DIR` option: an explicit project root, above every environment variable."""
    global _explicit_home
    _explicit_home = Path(path).resolve() if path is not None else None


def is_project(folder: Path) -> bool:
    """A tircost-bench project: holds the marker file, or a pyproject.toml whose project name is tircost-bench."""
    if (folder / PROJECT_MARKER).exists():
        return True
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        text = pyproject.read_text(errors="replace")
    except OSError:
        return False
    return re.search(r'^name\s*=\s*["\']tircost[-_]bench["\']', text, re.MULTILINE) is not None


def find_project(start: Path | None = None) -> Path | None:
    """The nearest project at or above `start` (default: the working directory)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_project(folder):
            return folder
    return None


def home_location() -> Location | None:
    """The project root, by the order above (None: no project anywhere)."""
    if _explicit_home is not None:
        return Location("home", str(_explicit_home), "option --home")
    if os.environ.get(HOME_ENV):
        return Location("home", str(Path(os.environ[HOME_ENV]).resolve()), HOME_ENV)
    found = find_project()
    if found is not None:
        return Location("home", str(found), "project found from the working directory")
    if is_project(PROJECT_ROOT):
        return Location("home", str(PROJECT_ROOT), PACKAGE_CHECKOUT)
    return None


def home() -> Path | None:
    loc = home_location()
    return Path(loc.path) if loc else None


def _user_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", os.path.expanduser("~/.local/share"))) / "tircost-bench"


def _in_home(name: str, env: str, folder: str, fallback: Path | None) -> Location:
    if os.environ.get(env):
        return Location(name, str(Path(os.environ[env])), env)
    loc = home_location()
    if loc is not None:
        return Location(name, str(Path(loc.path) / folder), f"{folder}/ of home ({loc.source})")
    if fallback is not None:
        return Location(name, str(fallback), "no project found: per-user data folder")
    return Location(name, "", f"none: no project found (pass --suite PATH, set {HOME_ENV} or {env})")


def suites_location() -> Location:
    loc = _in_home("suites", "TIRCOST_SUITES_DIR", "suites", None)
    if loc.path:
        return loc
    # no project: ./suites (where `collect` packs; usually absent, so names find nothing and say why)
    return Location("suites", str(Path.cwd() / "suites"), "no project found: ./suites of the working directory")


def suites_dir() -> Path:
    """Suites by name (suites/NAME)."""
    return Path(suites_location().path)


def leaderboard_location() -> Location:
    return _in_home("leaderboard", "TIRCOST_LEADERBOARD_DIR", "leaderboard", _user_data_dir() / "leaderboard")


def leaderboard_dir() -> Path:
    return Path(leaderboard_location().path)


def runs_location() -> Location:
    if os.environ.get("TIRCOST_RUNS_DIR"):
        return Location("runs", os.environ["TIRCOST_RUNS_DIR"], "TIRCOST_RUNS_DIR")
    lb = leaderboard_location()
    return Location("runs", str(Path(lb.path) / "runs"), f"runs/ in {lb.name} ({lb.source})")


def runs_dir() -> Path:
    """The user's own results files, one folder per `evaluate` (git-ignored; TIRCOST_RUNS_DIR elsewhere)."""
    return Path(runs_location().path)


def cache_location() -> Location:
    if os.environ.get("TIRCOST_CACHE_DIR"):
        return Location("cache", os.environ["TIRCOST_CACHE_DIR"], "TIRCOST_CACHE_DIR")
    base = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "tircost-bench")
    return Location("cache", base, "per-user cache (shared by projects: content-keyed)")


def cache_dir() -> Path:
    """Decompressed suites and derived representations (features, graphs), keyed by suite sha256."""
    path = Path(cache_location().path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def mlflow_location() -> Location:
    """The MLflow tracking store: MLFLOW_TRACKING_URI, else sqlite leaderboard/mlflow.db (absolute path)."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return Location("mlflow", os.environ["MLFLOW_TRACKING_URI"], "MLFLOW_TRACKING_URI")
    lb = leaderboard_location()
    return Location("mlflow", f"sqlite:///{Path(lb.path).resolve() / 'mlflow.db'}", f"mlflow.db in {lb.name} ({lb.source})")


def submission_roots() -> list[Path]:
    """Folders whose sub-folders are submissions known by name: the project's submissions/ and baselines/,
    then the package checkout's baselines/ when the project is another folder (its built-in baselines)."""
    roots: list[Path] = []
    h = home()
    if h is not None:
        roots += [h / f for f in SUBMISSION_FOLDERS]
    builtin = PROJECT_ROOT / "baselines"
    if is_project(PROJECT_ROOT) and all(builtin.resolve() != r.resolve() for r in roots):
        roots.append(builtin)
    return roots


def locations() -> list[Location]:
    """Every location, resolved now, in the order `tircost-bench info` prints them."""
    home_loc = home_location() or Location("home", "", "none: no project found from the working directory")
    subs = Location("submissions", os.pathsep.join(str(r) for r in submission_roots()),
                    "submissions/ and baselines/ of home, then the package checkout's baselines/")
    return [home_loc, suites_location(), subs, leaderboard_location(), runs_location(), mlflow_location(),
            cache_location()]
