"""The versioned results file of one evaluation (one submission on one suite, several seeds).

Old results files must keep loading: bump RESULTS_SCHEMA on a layout change and teach `from_json` the old
layout (tests/data/ holds a golden file per schema version).
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

RESULTS_SCHEMA = 1
STATUS_OK = "ok"
STATUS_FAILED = "failed"
SECTIONS = ("overall", "weighted")  # MetricReport sections aggregated over seeds (plus per_network)


@dataclass
class SuiteRef:
    name: str
    version: str
    sha256: str
    path: str = ""


@dataclass
class SubmissionRef:
    name: str
    version: str
    folder: str
    parameters: dict[str, Any] = field(default_factory=dict)
    git_commit: str = ""  # of the submission folder, when it is its own repository


@dataclass
class Environment:
    git_commit: str  # of the tircost-bench checkout ("" outside git); "+dirty" when it has local changes
    packages: dict[str, str]  # tvm, torch, xgboost, numpy, mlflow, python
    host: str = ""


@dataclass
class SeedResult:
    seed: int
    report: MetricReport | None  # None when the seed failed
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    checkpoint_used: bool = False
    trained: bool = False
    checkpoint: dict[str, Any] = field(default_factory=dict)  # provenance.json of the checkpoint used

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "report": self.report.to_json() if self.report else None,
                "fit_seconds": self.fit_seconds, "predict_seconds": self.predict_seconds,
                "checkpoint_used": self.checkpoint_used, "trained": self.trained, "checkpoint": self.checkpoint}

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
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
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
        if d.get("schema") != RESULTS_SCHEMA:
            raise ValueError(f"results schema {d.get('schema')!r} is not {RESULTS_SCHEMA}: upgrade tircost-bench")
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
            created=d["created"],
        )

    def save(self, path: Path) -> None:
        import json

        Path(path).write_text(json.dumps(self.to_json(), indent=1, allow_nan=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> EvaluationResult:
        import json

        return cls.from_json(json.loads(Path(path).read_text()))


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


def environment() -> Environment:
    from tircost_bench.paths import PROJECT_ROOT

    return Environment(git_commit=git_commit(PROJECT_ROOT), packages=package_versions(), host=platform.node())
