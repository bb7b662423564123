"""The typed record of one search (schema 2): what run_search returns, writes per round, and publish reads.

Schema 1 files (leaderboard/search-results/, written before this module) load through `SearchResult.load`:
they were always complete, had no model order, no per-part timing and no protocol settings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tircost_bench.search.curves import Curve

SCHEMA = 2


class SearchResultError(ValueError):
    """A results file this code cannot read (unknown schema, not a search result)."""


@dataclass
class ModelResult:
    kind: str  # "submission" | "reference"
    search_seconds: float
    trials: int
    seconds_per_trial: float | None
    task_best_latency: dict[str, float | None]
    complete: bool = True  # False while (or if a machine was lost while) this model searched
    order: int = -1  # position in the run order of its search (-1: unknown, schema 1)
    timing: dict[str, float] = field(default_factory=dict)  # part -> seconds (see search.timing.PARTS)
    events: list[list[Any]] = field(default_factory=list)  # [seconds, trials, task, best] per measured batch


@dataclass
class NetworkResult:
    tasks: dict[str, float]  # task id -> weight in the network
    curves: dict[str, Curve]  # model -> estimated network latency over the search
    metrics: dict[str, dict[str, Any]]  # model -> curve_metrics' entry


@dataclass
class SearchResult:
    suite: dict[str, Any]  # name, version, sha256
    submission: dict[str, Any]  # name, version, folder (relative to the repository), checkpoint_used, ...
    config: dict[str, Any]
    reference_model: str | None
    target: dict[str, Any]
    platform: dict[str, Any]
    tvm_version: str
    harness_commit: str
    python: str
    warnings: list[str]
    models: dict[str, ModelResult]
    networks: dict[str, NetworkResult]
    complete: bool = True
    schema: int = SCHEMA

    @property
    def name(self) -> str:
        return str(self.submission["name"])

    @property
    def seed(self) -> int:
        return int(self.config["seed"])

    def finished_reference(self, network: str) -> Curve | None:
        """The reference (stock) model's curve on `network`, only if that model finished its budget: a
        model is compared with stock's final latency, never with where an interrupted stock run stopped."""
        name = self.reference_model
        curve = self.networks[network].curves.get(name) if name else None
        if curve is None or not curve.latency or name not in self.models or not self.models[name].complete:
            return None
        return curve

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["networks"] = {nid: {"tasks": net.tasks, "curves": {k: c.to_json() for k, c in net.curves.items()},
                                 "metrics": net.metrics} for nid, net in self.networks.items()}
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SearchResult:
        schema = doc.get("schema")
        if schema not in (1, SCHEMA):
            raise SearchResultError(f"search results schema {schema!r}: this code reads schemas 1 and {SCHEMA}; "
                                    "update tircost-bench or re-run the search")
        doc = dict(doc)
        models = {k: ModelResult(**v) for k, v in doc.pop("models").items()}
        networks = {nid: NetworkResult(dict(n["tasks"]), {k: Curve.from_json(c) for k, c in n["curves"].items()},
                                       dict(n["metrics"])) for nid, n in doc.pop("networks").items()}
        doc["schema"] = SCHEMA  # schema 1 -> 2: the new fields take their defaults
        doc.setdefault("harness_commit", "")  # the first schema-1 files predate it
        known = set(cls.__dataclass_fields__)
        return cls(models=models, networks=networks, **{k: v for k, v in doc.items() if k in known})

    def write(self, path: Path) -> Path:
        """Atomically (a reader, or a machine lost mid-write, never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path | str) -> SearchResult:
        try:
            doc = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise SearchResultError(f"{path}: not a readable search results file ({err})") from err
        if not isinstance(doc, dict) or "networks" not in doc:
            raise SearchResultError(f"{path}: not a search results file (no 'networks'); "
                                    "give the search_results.json that `tircost-bench search` wrote")
        return cls.from_json(doc)
