"""The shipped suites: find one by name (with a did-you-mean), list them all."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from tircost_bench.paths import suites_dir, suites_location
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
    if path.is_dir():
        raise FileNotFoundError(f"{path} is not a suite folder (no {MANIFEST}); pass a suite's folder or its name "
                                "from `tircost-bench suites`")
    names = suite_names()
    close = difflib.get_close_matches(name_or_path, names, n=3, cutoff=0.4)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    where = f"in {suites_dir()}" + ("" if names else f" ({suites_location().source})")
    raise FileNotFoundError(f"no suite named {name_or_path!r} {where}; {hint}"
                            f"suites: {', '.join(names) or 'none'} (or pass a suite folder's path)")


def default_suite() -> str:
    names = suite_names()
    if not names:
        raise FileNotFoundError(f"no suites found in {suites_dir()} ({suites_location().source}); pass --suite PATH "
                                "to a suite folder, or set TIRCOST_HOME to a project")
    return "h100" if "h100" in names else DEFAULT_SUITE if DEFAULT_SUITE in names else names[0]


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
    """Every suite under suites_dir(), named by its folder (a copied suite keeps its manifest's name there
    as `manifest_name`, so two copies never show as two identical rows)."""
    rows = []
    for folder_name in suite_names():
        folder = suites_dir() / folder_name
        row = describe(Manifest.read(folder))
        row = {"name": folder_name, "manifest_name": row["name"], "path": str(folder), **
               {k: v for k, v in row.items() if k != "name"}}
        rows.append(row)
    return rows


def hardware(platform: dict[str, Any]) -> str:
    return platform.get("gpu") or f"{platform.get('cpu')} x{platform.get('cores')}"


def target_text(target: dict[str, Any]) -> str:
    detail = target.get("arch") or target.get("mcpu") or ""
    return f"{target.get('kind', '?')} {detail}".strip()


def print_suites(rows: list[dict[str, Any]]) -> None:
    """A table that fits 80 columns (the hardware wraps) and uses the full width of a wider terminal."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="tircost-bench suites")
    table.add_column("suite", min_width=9)
    table.add_column("hardware", ratio=1, min_width=12)
    table.add_column("target", no_wrap=True)
    for col in ("tasks", "programs", "test/train/val"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rows:
        name = r["name"] if r["manifest_name"] == r["name"] else f"{r['name']}\n(copy of {r['manifest_name']})"
        splits = "/".join(str(r["splits"][s]["tasks"]) if s in r["splits"] else "-" for s in ("test", "train", "val"))
        table.add_row(name, hardware(r["platform"]), target_text(r["target"]), str(r["tasks"]),
                      f"{r['records']:,}", splits)
    Console().print(table)
