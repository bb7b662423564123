"""The published search table: leaderboard/<suite>-search.md and .json, from one or more search results.

Deterministic given the results: no generation time, fixed ordering (network, then speed-up, best first)
and rounding. Rows are per (network, run, model): each search run tunes its submission and the stock references
in the same process on the same machine, and its time-to-reference is measured against its own stock run,
so the references are shown with every run (their spread between runs is the noise of the metric).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tircost_bench.paths import leaderboard_dir

COLUMNS = ("network", "run", "model", "kind", "final_latency_ms", "time_to_reference_s", "trials_to_reference",
           "speed_up", "seconds_per_trial", "budget", "seed")


def _round(x: Any, digits: int) -> Any:
    return None if x is None else round(float(x), digits)


def search_rows(results: dict | Iterable[dict]) -> list[dict[str, Any]]:
    """One row per (network, run, model); a run is a submission version's search (a run given twice counts once)."""
    runs = [results] if isinstance(results, dict) else list(results)
    rows: dict[tuple, dict[str, Any]] = {}
    for res in sorted(runs, key=lambda r: (r["submission"]["name"], r["submission"]["version"])):
        cfg = res["config"]
        for nid, net in res["networks"].items():
            for model, m in net["metrics"].items():
                info = res["models"][model]
                run = f"{res['submission']['name']} {res['submission']['version']}"
                name = model if info["kind"] == "reference" else run
                key = (nid, run, name, cfg["budget"], cfg["seed"])
                rows[key] = {
                    "network": nid, "run": run, "model": name, "kind": info["kind"],
                    "final_latency_ms": _round(m["final_latency"] and m["final_latency"] * 1e3, 4),
                    "time_to_reference_s": _round(m["time_to_reference"], 1),
                    "trials_to_reference": m["trials_to_reference"],
                    "speed_up": _round(m["speed_up"], 2),
                    "seconds_per_trial": _round(info["seconds_per_trial"], 3),
                    "budget": cfg["budget"], "seed": cfg["seed"],
                }

    def order(r: dict[str, Any]) -> tuple:
        su = r["speed_up"]
        lat = r["final_latency_ms"]
        return (r["network"], r["budget"], r["seed"], r["run"], su is None, -(su or 0.0), lat is None, lat or 0.0,
                r["model"])

    return sorted(rows.values(), key=order)


def _suite_of(results: dict | Iterable[dict]) -> dict[str, Any]:
    runs = [results] if isinstance(results, dict) else list(results)
    suites = {(r["suite"]["name"], r["suite"]["sha256"]) for r in runs}
    if len(suites) != 1:
        raise ValueError(f"search results from several suites: {sorted(suites)}; publish one suite at a time")
    return runs[0]["suite"]


def search_summary_markdown(results: dict | Iterable[dict]) -> str:
    """A markdown table of every (network, model): final latency at equal budget, time to stock XGB's final
    latency, and the speed-up over stock XGBModel (> 1: reaches stock's result sooner)."""
    runs = [results] if isinstance(results, dict) else list(results)
    suite = _suite_of(runs)

    def cell(v: Any) -> str:
        return "–" if v is None else str(v)

    lines = [
        f"# Search: {suite['name']}",
        "",
        ("End-to-end MetaSchedule search on the suite's held-out networks: estimated network latency "
         "(sum of weight x best task latency) after the budget, search seconds to reach the latency the stock "
         "XGBModel reaches at its full budget, and speed-up = stock's seconds to its own final latency / the "
         "model's. Each run searched with its submission and the stock references in one process on one "
         "machine, and is compared with its own stock run. Generated from `tircost-bench search` results; "
         "do not edit by hand."),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    rows = search_rows(runs)
    for r in rows:
        lines.append("| " + " | ".join(cell(r[c]).replace("|", "\\|") for c in COLUMNS) + " |")
    if not rows:
        lines.append("| " + " | ".join(["–"] * len(COLUMNS)) + " |")
    return "\n".join(lines) + "\n"


def search_summary_json(results: dict | Iterable[dict]) -> str:
    runs = [results] if isinstance(results, dict) else list(results)
    suite = _suite_of(runs)
    doc = {"suite": suite["name"], "sha256": suite["sha256"], "version": suite["version"],
           "columns": list(COLUMNS), "rows": search_rows(runs)}
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def load_results(paths: Iterable[Path]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def publish_search(results: dict | Iterable[dict], out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write <suite>-search.md and <suite>-search.json (default leaderboard/); rewritten only on change."""
    runs = [results] if isinstance(results, dict) else list(results)
    name = _suite_of(runs)["name"]
    folder = Path(out_dir) if out_dir else leaderboard_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"{name}-search.md", folder / f"{name}-search.json")
    for path, text in zip(paths, (search_summary_markdown(runs), search_summary_json(runs))):
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return paths
