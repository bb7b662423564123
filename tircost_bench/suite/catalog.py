"""The shipped suites: find one by name (with a did-you-mean), list them all."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from tircost_bench.paths import suites_dir
from tircost_bench.suite.manifest import MANIFEST, Manifest

DEFAULT_SUITE = "cpu-epyc2"  # until the h100 suite lands


def suite_names() -> list[str]:
    root = suites_dir()
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).exists()) if root.exists() else []


def suite_path(name_or_path: str) -> Path:
    """A suite folder by name (suites/NAME) or by path."""
    path = Path(name_or_path)
    if (path / MANIFEST).exists():
        return path
    candidate = suites_dir() / name_or_path
    if (candidate / MANIFEST).exists():
        return candidate
    names = suite_names()
    close = difflib.get_close_matches(name_or_path, names, n=3, cutoff=0.4)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise FileNotFoundError(
        f"no suite named {name_or_path!r} in {suites_dir()}.{hint} Shipped suites: {', '.join(names) or 'none'}"
    )


def default_suite() -> str:
    names = suite_names()
    return "h100" if "h100" in names else DEFAULT_SUITE


def describe(manifest: Manifest) -> dict[str, Any]:
    return {
        "name": manifest.suite,
        "version": manifest.version,
        "sha256": manifest.sha256,
        "platform": manifest.platform,
        "target": manifest.target,
        "tvm_version": manifest.tvm_version,
        "networks": sorted(manifest.networks),
        "held_out_networks": manifest.held_out_networks,
        "tasks": manifest.counts["tasks"],
        "records": manifest.counts["records"],
        "failed": manifest.counts["failed"],
        # absent from suites packed before these counts existed
        "programs_per_task": {k.removeprefix("programs_per_task_"): v for k, v in manifest.counts.items()
                              if k.startswith("programs_per_task_")},
        **{k: v for k, v in manifest.counts.items() if k.startswith("tasks_with_")},
        "splits": {k: {"tasks": v.tasks, "records": v.records} for k, v in manifest.splits.items()},
    }


def list_suites() -> list[dict[str, Any]]:
    return [describe(Manifest.read(suites_dir() / n)) for n in suite_names()]


def print_suites(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="tircost-bench suites")
    for col in ("suite", "platform", "networks", "tasks", "records", "train", "val", "test"):
        table.add_column(col)
    for r in rows:
        plat = r["platform"].get("gpu") or f"{r['platform'].get('cpu')} x{r['platform'].get('cores')}"
        table.add_row(r["name"], plat, str(len(r["networks"])), str(r["tasks"]), str(r["records"]),
                      *(f"{r['splits'][s]['tasks']}t/{r['splits'][s]['records']}" for s in ("train", "val", "test")))
    Console().print(table)
