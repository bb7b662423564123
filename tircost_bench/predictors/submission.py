"""Submission folders: `submission.json` metadata + code + optional checkpoints, and the registry of them."""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.paths import PROJECT_ROOT, submission_roots
from tircost_bench.predictors.interface import Predictor

METADATA = "submission.json"
REQUIRED = ("name", "version", "authors", "description", "entry_point")


class SubmissionError(ValueError):
    """A submission folder or its metadata is unusable; the message names the folder and the fix."""


@dataclass
class SubmissionMeta:
    name: str
    version: str
    authors: list[str]
    description: str
    entry_point: str  # "module:Class", module relative to the submission folder
    parameters: dict[str, Any] = field(default_factory=dict)
    # suite sha256 -> {seed (as a string) -> checkpoint folder relative to the submission}
    checkpoints: dict[str, dict[str, str]] = field(default_factory=dict)
    training_command: str = ""
    url: str = ""

    @classmethod
    def read(cls, folder: Path) -> SubmissionMeta:
        path = Path(folder) / METADATA
        if not path.exists():
            raise SubmissionError(f"{folder}: no {METADATA}; create one (see docs/submitting.md or `tircost-bench new`)")
        try:
            data = json.loads(path.read_text())
        except ValueError as err:
            raise SubmissionError(f"{path}: not valid JSON ({err})") from err
        missing = [k for k in REQUIRED if not data.get(k)]
        if missing:
            raise SubmissionError(f"{path}: missing {', '.join(missing)}; every submission states them")
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SubmissionError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
        if ":" not in data["entry_point"]:
            raise SubmissionError(f"{path}: entry_point {data['entry_point']!r} must look like 'module:ClassName'")
        return cls(**data)

    def write(self, folder: Path) -> None:
        (Path(folder) / METADATA).write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")


@dataclass
class Submission:
    folder: Path
    meta: SubmissionMeta

    @property
    def name(self) -> str:
        return self.meta.name

    def predictor_class(self) -> type[Predictor]:
        module_name, _, class_name = self.meta.entry_point.partition(":")
        file = self.folder / (module_name.replace(".", "/") + ".py")
        if not file.exists():
            raise SubmissionError(f"{self.folder}: entry point module {file.name} not found")
        unique = f"tircost_submission_{self.meta.name}_{module_name}".replace(".", "_").replace("-", "_")
        spec = importlib.util.spec_from_file_location(unique, file)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.path.insert(0, str(self.folder))  # the submission may import its own helper modules
        try:
            sys.modules[unique] = module
            spec.loader.exec_module(module)  # type: ignore[union-attr]
        except Exception as err:
            raise SubmissionError(f"{self.folder}: importing {file.name} failed: {type(err).__name__}: {err}") from err
        finally:
            sys.path.remove(str(self.folder))
        cls = getattr(module, class_name, None)
        if not (isinstance(cls, type) and issubclass(cls, Predictor)):
            raise SubmissionError(
                f"{self.folder}: {self.meta.entry_point} is not a subclass of tircost_bench.predictors.Predictor"
            )
        return cls

    def create(self, seed: int) -> Predictor:
        return self.predictor_class()(seed=seed, **self.meta.parameters)

    def checkpoint_for(self, suite_sha256: str, seed: int) -> Path | None:
        rel = self.meta.checkpoints.get(suite_sha256, {}).get(str(seed))
        return self.folder / rel if rel else None


def submission_candidates() -> dict[str, list[Path]]:
    """name -> every folder of that name holding a submission.json, over paths.submission_roots() in order."""
    found: dict[str, list[Path]] = {}
    for root in submission_roots():
        for meta in sorted(root.glob(f"*/{METADATA}")):
            found.setdefault(meta.parent.name, []).append(meta.parent)
    return found


def known_submissions() -> dict[str, Path]:
    """name -> folder, for every submission known by name (the first folder where a name is ambiguous)."""
    return {name: folders[0] for name, folders in submission_candidates().items()}


def _by_name(name: Path) -> Path | None:
    """A bare name: the one known folder of that name. A relative path ("submissions/x") missing from the
    working directory: that path in the project the working directory (or --home, TIRCOST_HOME) names,
    never in the checkout the package happens to be imported from."""
    if len(name.parts) > 1:
        from tircost_bench.paths import PACKAGE_CHECKOUT, home_location

        loc = home_location()
        candidate = Path(loc.path) / name if loc is not None and loc.source != PACKAGE_CHECKOUT else None
        return candidate if candidate is not None and (candidate / METADATA).exists() else None
    folders = submission_candidates().get(name.name, [])
    if len(folders) > 1:  # never pick one silently: baselines/x and submissions/x are different models
        raise SubmissionError(f"submission name {str(name)!r} is ambiguous: {' and '.join(map(str, folders))}; "
                              "pass the folder's path instead of its name")
    return folders[0] if folders else None


def load_submission(path_or_name: str | Path) -> Submission:
    """A submission by folder path or by registered name (with a did-you-mean)."""
    path = Path(path_or_name)
    if not (path / METADATA).exists():
        by_name = _by_name(path)
        if by_name is not None:
            path = by_name
        elif path.is_dir():
            raise SubmissionError(f"{path}: no {METADATA}; see docs/submitting.md or run `tircost-bench new`")
        elif len(path.parts) > 1 and not path.is_absolute() and (PROJECT_ROOT / path / METADATA).exists():
            raise SubmissionError(f"no submission at {str(path)!r} in {Path.cwd()} (no project here); the checkout "
                                  f"tircost_bench runs from has one: pass {PROJECT_ROOT / path} or cd {PROJECT_ROOT}")
        else:
            known = known_submissions()
            close = difflib.get_close_matches(str(path_or_name),
                                              [*known, *(f"{p.parent.name}/{n}" for n, p in known.items())], n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            names = ", ".join(sorted(known)) or "none (no project found: pass the submission's folder)"
            raise SubmissionError(f"no submission at {path_or_name!r}.{hint} Known by name: {names}")
    return Submission(path.resolve(), SubmissionMeta.read(path))
