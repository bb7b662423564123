"""The versioned results file of one evaluation (one submission on one suite, several seeds).

Results files are the leaderboard's source of truth (docs/results-schema.md). Old files must keep loading:
bump RESULTS_SCHEMA on a layout change and add a step to MIGRATIONS that rewrites the previous layout into
the next one (tests/data/ holds a golden file per schema version), as MTEB does with old result versions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.metrics import MetricReport

RESULTS_SCHEMA = 2
STATUS_OK = "ok"
STATUS_FAILED = "failed"
SECTIONS = ("overall", "weighted")  # MetricReport sections aggregated over seeds (plus per_network)


class ResultsSchemaError(ValueError):
    """A results file this version of tircost-bench cannot read (unknown schema or a broken layout)."""


def portable_path(path: str | Path) -> str:
    """A path fit for a committed file: relative to the project checkout, else the folder's name only."""
    if not str(path):
        return ""
    from tircost_bench.paths import PROJECT_ROOT

    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return p.name


@dataclass
class SuiteRef:
    name: str
    version: str
    sha256: str
    path: str = ""  # relative to the checkout, or the folder name: never a machine-local absolute path

    def __post_init__(self) -> None:
        self.path = portable_path(self.path)


@dataclass
class SubmissionRef:
    name: str
    version: str
    folder: str  # relative to the checkout, or the folder name
    parameters: dict[str, Any] = field(default_factory=dict)
    git_commit: str = ""  # of the submission folder, when it is its own repository

    def __post_init__(self) -> None:
        self.folder = portable_path(self.folder)


@dataclass
class Environment:
    git_commit: str  # of the tircost-bench checkout ("" outside git); "+dirty" when it has local changes
    packages: dict[str, str]  # tvm, torch, xgboost, numpy, mlflow, python
    host: str = ""
    hardware: dict[str, Any] = field(default_factory=dict)  # cpu, cores, memory_gib, gpu


@dataclass
class PredictionsRef:
    """The compressed predictions file written next to the results file (uids, per-seed predictions)."""

    file: str  # name, next to results.json
    sha256: str  # of the file's bytes
    n_programs: int = 0


@dataclass
class SeedResult:
    seed: int
    report: MetricReport | None  # None when the seed failed
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    checkpoint_used: bool = False
    trained: bool = False
    checkpoint: dict[str, Any] = field(default_factory=dict)  # provenance.json of the checkpoint used; {} if trained
    predictions_sha256: str = ""  # of this seed's predictions (float64, little-endian, test order)

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "report": self.report.to_json() if self.report else None,
                "fit_seconds": self.fit_seconds, "predict_seconds": self.predict_seconds,
                "checkpoint_used": self.checkpoint_used, "trained": self.trained,
                "checkpoint": self.checkpoint, "predictions_sha256": self.predictions_sha256}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SeedResult:
        d = dict(d)
        d["report"] = MetricReport.from_json(d["report"]) if d.get("report") else None
        return cls(**d)


@dataclass
class Stat:
    mean: float
    std: float  # sample std (ddof=1) over seeds; 0 for one seed
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f}"


@dataclass
class Counts:
    test_tasks: int = 0
    test_programs: int = 0  # successfully measured, scored
    failed_programs: dict[str, int] = field(default_factory=dict)  # by failure kind; excluded from metrics
    skipped_records: int = 0  # corrupt records the loader refused


@dataclass
class EvaluationResult:
    suite: SuiteRef
    submission: SubmissionRef
    environment: Environment
    seeds: list[SeedResult] = field(default_factory=list)
    # section ("overall" | "weighted" | "network:<id>") -> metric -> Stat
    aggregate: dict[str, dict[str, Stat]] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    retrain: bool = False
    status: str = STATUS_OK
    error: str = ""
    isolation: str = ""  # "landlock" | "process" | "none": how submission code was confined
    traceback: str = ""  # full traceback of a submission error
    predictions: PredictionsRef | None = None
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"))
    schema: int = RESULTS_SCHEMA

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    def stat(self, metric: str, section: str = "overall") -> Stat | None:
        return self.aggregate.get(section, {}).get(metric)

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["seeds"] = [s.to_json() for s in self.seeds]
        d["aggregate"] = {sec: {m: _stat_json(s) for m, s in ms.items()} for sec, ms in self.aggregate.items()}
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> EvaluationResult:
        d = migrate(d)
        try:
            return cls(
                suite=SuiteRef(**d["suite"]),
                submission=SubmissionRef(**d["submission"]),
                environment=Environment(**d["environment"]),
                seeds=[SeedResult.from_json(s) for s in d["seeds"]],
                aggregate={sec: {m: Stat(_nan(s["mean"]), _nan(s["std"]), int(s["n"])) for m, s in ms.items()}
                           for sec, ms in d["aggregate"].items()},
                counts=Counts(**d["counts"]),
                retrain=bool(d.get("retrain", False)),
                status=d["status"],
                error=d.get("error", ""),
                isolation=d.get("isolation", ""),
                traceback=d.get("traceback", ""),
                predictions=PredictionsRef(**d["predictions"]) if d.get("predictions") else None,
                created=d["created"],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ResultsSchemaError(f"results schema {RESULTS_SCHEMA} layout is broken: {type(err).__name__}: "
                                     f"{err}") from err

    def to_text(self) -> str:
        import json

        return json.dumps(self.to_json(), indent=1, allow_nan=False) + "\n"

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_text())

    @classmethod
    def load(cls, path: Path) -> EvaluationResult:
        """Load any known schema version; ResultsSchemaError (naming the file) if it cannot be read."""
        import json

        try:
            data = json.loads(Path(path).read_text())
            if not isinstance(data, dict):
                raise ResultsSchemaError(f"not a JSON object but {type(data).__name__}")
            return cls.from_json(data)
        except (ResultsSchemaError, json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ResultsSchemaError(f"{path}: {err}") from err


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """v2 added per-seed checkpoint provenance and predictions digests, isolation, traceback, the
    predictions file, hardware, and made the suite path and submission folder portable."""
    d = dict(d, schema=2, isolation="", traceback="", predictions=None)
    d["seeds"] = [dict(s, checkpoint={}, predictions_sha256="") for s in d["seeds"]]
    d["environment"] = dict(d["environment"], hardware={})
    d["suite"] = dict(d["suite"], path=portable_path(d["suite"].get("path", "")))
    d["submission"] = dict(d["submission"], folder=portable_path(d["submission"].get("folder", "")))
    return d


MIGRATIONS = {1: _v1_to_v2}  # schema n -> function rewriting a schema-n dict into schema n+1


def migrate(d: dict[str, Any]) -> dict[str, Any]:
    """The results dict `d` rewritten to RESULTS_SCHEMA, step by step; ResultsSchemaError if unknown."""
    schema = d.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or not 1 <= schema <= RESULTS_SCHEMA:
        raise ResultsSchemaError(f"unknown results schema {schema!r} (this tircost-bench reads 1..{RESULTS_SCHEMA}): "
                                 "upgrade tircost-bench, or re-run the evaluation")
    while d["schema"] < RESULTS_SCHEMA:
        try:
            d = MIGRATIONS[d["schema"]](d)
        except (KeyError, TypeError, AttributeError) as err:
            raise ResultsSchemaError(f"results schema {d['schema']} layout is broken: {type(err).__name__}: "
                                     f"{err}") from err
    return d


def _stat_json(s: Stat) -> dict[str, Any]:
    # NaN is not JSON: written as null (MetricReport does the same).
    return {"mean": None if math.isnan(s.mean) else s.mean, "std": None if math.isnan(s.std) else s.std, "n": s.n}


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def aggregate(reports: list[MetricReport]) -> dict[str, dict[str, Stat]]:
    """Mean and sample std over seeds per section and metric; NaN seeds are left out of a metric's stats."""
    import numpy as np

    sections: dict[str, list[dict[str, float]]] = {sec: [getattr(r, sec) for r in reports] for sec in SECTIONS}
    for net in dict.fromkeys(n for r in reports for n in r.per_network):
        sections[f"network:{net}"] = [r.per_network.get(net, {}) for r in reports]
    out: dict[str, dict[str, Stat]] = {}
    for sec, rows in sections.items():
        names = list(dict.fromkeys(m for row in rows for m in row))
        out[sec] = {}
        for m in names:
            vals = np.array([row[m] for row in rows if m in row and not math.isnan(row[m])], dtype=np.float64)
            mean = float(vals.mean()) if vals.size else float("nan")
            std = float(vals.std(ddof=1)) if vals.size > 1 else (0.0 if vals.size else float("nan"))
            out[sec][m] = Stat(mean, std, int(vals.size))
    return out


def git_commit(folder: Path) -> str:
    """HEAD of the repository holding `folder` ("" if none), "+dirty" when tracked files differ."""
    def git(*args: str) -> str:
        r = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False)
        return r.stdout.strip() if r.returncode == 0 else ""

    try:
        head = git("rev-parse", "HEAD")
        if head and git("status", "--porcelain", "--untracked-files=no", "--", "."):
            head += "+dirty"
        return head
    except (OSError, subprocess.SubprocessError):
        return ""


def git_toplevel(folder: Path) -> str:
    try:
        r = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                           capture_output=True, text=True, timeout=10, check=False)
        return r.stdout.strip() if r.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist, key in (("apache-tvm", "tvm"), ("torch", "torch"), ("xgboost", "xgboost"), ("numpy", "numpy"),
                      ("mlflow", "mlflow"), ("tircost-bench", "tircost_bench")):
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = ""
    return out


def hardware() -> dict[str, Any]:
    """What ran the evaluation: CPU model, logical cores, memory, and the GPU when torch already uses one."""
    import os
    import sys

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    out: dict[str, Any] = {"cpu": cpu, "cores": os.cpu_count() or 0, "machine": platform.machine()}
    try:
        out["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    torch = sys.modules.get("torch")  # never import torch just to ask (seconds)
    if torch is not None and torch.cuda.is_available():
        out["gpu"] = torch.cuda.get_device_name(0)
    return out


def environment() -> Environment:
    from tircost_bench.paths import PROJECT_ROOT

    return Environment(git_commit=git_commit(PROJECT_ROOT), packages=package_versions(), host=platform.node(),
                       hardware=hardware())
