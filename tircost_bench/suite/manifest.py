"""The suite manifest: what was measured, where, how, and the sha256 of every file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1


class SuiteIntegrityError(RuntimeError):
    """A suite file is missing or differs from the sha256 its manifest records."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class SplitCounts:
    tasks: int
    records: int  # successfully measured programs


@dataclass
class Manifest:
    suite: str  # e.g. "cpu-epyc2"
    version: str  # bumped whenever the data changes; old results name the version they scored
    created: str
    platform: dict[str, Any]  # cpu model and cores, or GPU name / driver / CUDA
    target: dict[str, Any]
    tvm_version: str
    measure: dict[str, Any]  # time_evaluator settings
    networks: dict[str, dict[str, Any]]  # network id -> {"tasks": n, "held_out": bool}
    held_out_networks: list[str]
    counts: dict[str, int]  # tasks, records, failed, by failure kind
    splits: dict[str, SplitCounts]
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    schema: int = SCHEMA_VERSION
    notes: str = ""

    @property
    def sha256(self) -> str:
        """The suite's identity: a digest of every file's digest (checkpoints record which data they saw)."""
        canonical = json.dumps(sorted(self.files.items()), separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Manifest:
        if d.get("schema") != SCHEMA_VERSION:
            raise SuiteIntegrityError(
                f"suite manifest schema {d.get('schema')!r} is not {SCHEMA_VERSION}: upgrade tircost-bench"
            )
        d = dict(d)
        d["splits"] = {k: SplitCounts(**v) for k, v in d["splits"].items()}
        return cls(**d)

    def save(self, suite_dir: Path) -> None:
        (Path(suite_dir) / MANIFEST).write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def read(cls, suite_dir: Path) -> Manifest:
        path = Path(suite_dir) / MANIFEST
        if not path.exists():
            raise SuiteIntegrityError(f"{path} is missing: {suite_dir} is not a suite folder")
        try:
            return cls.from_json(json.loads(path.read_text()))
        except (ValueError, TypeError, KeyError) as err:
            raise SuiteIntegrityError(f"{path} is not a valid manifest ({err})") from err

    def file_digests(self, suite_dir: Path) -> dict[str, str | None]:
        """The sha256 of each file the manifest lists, as found on disk (None: missing)."""
        return {rel: sha256_file(Path(suite_dir) / rel) if (Path(suite_dir) / rel).exists() else None
                for rel in sorted(self.files)}

    def verify(self, suite_dir: Path, found: dict[str, str | None] | None = None) -> None:
        """Check every file against its recorded sha256; the error names each bad file and the fix."""
        problems = []
        for rel, digest in (found or self.file_digests(suite_dir)).items():
            if digest is None:
                problems.append(f"{rel}: missing")
            elif digest != self.files[rel]:
                problems.append(f"{rel}: sha256 differs from the manifest")
        if problems:
            raise SuiteIntegrityError(
                f"suite {self.suite!r} at {suite_dir} failed verification:\n  "
                + "\n  ".join(problems)
                + "\nRestore the files from git (git checkout -- <suite folder>) or re-pack the suite."
            )
