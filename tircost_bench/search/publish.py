"""The published search tables: leaderboard/<suite>-search.md and .json, from search results (docs/search.md).

Deterministic given the results: no generation time, fixed ordering and rounding. Three tables:
- summary: per (network, submission), over the seeds, each run compared with its own stock XGBModel run
  (search.curves.versus_stock): medians and [min, max] spreads;
- runs: one row per (network, run, model, seed), as measured;
- timing: where each model's seconds went, per trial (search.timing.PARTS), median over a network's runs;
- overall: per submission, the issue's goal measure over every (network, seed): time_ratio = the model's
  seconds to stock's final latency / stock's seconds to it (< 1 faster; <= 0.5 is "2x"), its mean over the
  runs that reached it, and how many did.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tircost_bench.paths import leaderboard_dir
from tircost_bench.search.assemble import STOCK
from tircost_bench.search.curves import network_trials, versus_stock
from tircost_bench.search.result import SearchResult
from tircost_bench.search.timing import PARTS

COLUMNS = ("network", "run", "model", "kind", "seed", "trials", "network_trials", "order", "final_latency_ms",
           "stock_final_latency_ms", "stock_converged", "stock_tail_drop", "seconds_to_stock_final", "stock_seconds_to_final",
           "speed_up", "time_ratio", "first_point_better", "latency_at_stock_final_time_ms", "mean_latency_ratio",
           "seconds_per_trial", "complete")
SUMMARY = ("network", "model", "seeds", "network_trials", "final_latency_ms", "stock_final_latency_ms", "stock_converged",
           "stock_tail_drop", "seconds_to_stock_final",
           "stock_seconds_to_final", "speed_up", "time_ratio", "first_point_better", "latency_at_stock_final_time_ms",
           "mean_latency_ratio", "seconds_per_trial")
OVERALL = ("model", "runs", "stock_converged", "reached_stock_final", "first_point_better", "mean_time_ratio",
           "median_time_ratio", "mean_latency_ratio")
TIMING = ("network", "model", "runs", "seconds_per_trial", *PARTS)


def _round(x: Any, digits: int) -> Any:
    return None if x is None else round(float(x), digits)


def _ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1e3, 4)


def _runs(results: SearchResult | Iterable[SearchResult]) -> list[SearchResult]:
    runs = [results] if isinstance(results, SearchResult) else list(results)
    return sorted(runs, key=lambda r: (r.name, str(r.submission["version"]), r.seed))


def search_rows(results: SearchResult | Iterable[SearchResult]) -> list[dict[str, Any]]:
    """One row per (network, run, model, seed); a reference shared by several runs is listed once a seed."""
    rows: dict[tuple, dict[str, Any]] = {}
    for res in _runs(results):
        run = f"{res.name} {res.submission['version']}"
        for nid, net in res.networks.items():
            stock = res.finished_reference(nid)
            for model, curve in net.curves.items():
                info = res.models[model]
                name = model if info.kind == "reference" else run
                v = versus_stock(curve, stock, res.models[res.reference_model or STOCK].trials) if stock is not None else {}
                # a stock run shared by several submissions' results is one row; separate stock runs are not
                key = (nid, name, res.seed, info.trials, curve.final, curve.seconds[-1] if curve.seconds else None)
                rows[key] = {
                    "network": nid, "run": run, "model": name, "kind": info.kind, "seed": res.seed,
                    "trials": info.trials, "network_trials": network_trials(info.events, net.tasks) or None,
                    "order": info.order, "final_latency_ms": _ms(curve.final),
                    "stock_final_latency_ms": _ms(v.get("stock_final_latency")),
                    "stock_converged": v.get("stock_converged"),
                    "stock_tail_drop": _round(v.get("stock_tail_drop"), 3),
                    "seconds_to_stock_final": _round(v.get("seconds_to_stock_final"), 1),
                    "stock_seconds_to_final": _round(v.get("stock_seconds_to_final"), 1),
                    "speed_up": _round(v.get("speed_up"), 2) if model != STOCK else None,
                    "time_ratio": (_round(v["seconds_to_stock_final"] / v["stock_seconds_to_final"], 3)
                                   if model != STOCK and v.get("seconds_to_stock_final") is not None
                                   and v.get("stock_seconds_to_final") else None),
                    "first_point_better": v.get("first_point_better") if model != STOCK else None,
                    "latency_at_stock_final_time_ms": _ms(v.get("latency_at_stock_final_time")),
                    "mean_latency_ratio": _round(v.get("mean_latency_ratio"), 3),
                    "seconds_per_trial": _round(info.seconds_per_trial, 3),
                    "complete": info.complete,
                }
    return sorted(rows.values(), key=lambda r: (r["network"], r["kind"] != "reference", r["model"], r["seed"]))


def _spread(values: list[Any], digits: int) -> Any:
    """median [min, max] of the numbers (None when none)."""
    xs = [float(v) for v in values if v is not None]
    if not xs:
        return None
    nd = digits or None  # round(x, None) is an int: counts print as integers
    med = round(statistics.median(xs), nd)
    return med if len(xs) == 1 else f"{med} [{round(min(xs), nd)}, {round(max(xs), nd)}]"


def _share(flags: Iterable[Any]) -> str | None:
    """'k/n': how many of the known (not None) flags are true; None when none is known."""
    known = [bool(f) for f in flags if f is not None]
    return f"{sum(known)}/{len(known)}" if known else None


def summary_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (network, model): medians and spreads over the seeds of the complete runs."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        if r["complete"]:
            groups.setdefault((r["network"], r["model"]), []).append(r)
    out = []
    for (nid, model), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] != STOCK, kv[0][1])):
        out.append({
            "network": nid, "model": model, "seeds": ",".join(str(r["seed"]) for r in rs),
            **{k: _spread([r[k] for r in rs], d) for k, d in (
                ("network_trials", 0), ("final_latency_ms", 4), ("stock_final_latency_ms", 4), ("stock_tail_drop", 3),
                ("seconds_to_stock_final", 1),
                ("stock_seconds_to_final", 1), ("speed_up", 2), ("time_ratio", 3), ("latency_at_stock_final_time_ms", 4),
                ("mean_latency_ratio", 3), ("seconds_per_trial", 3))},
            "first_point_better": _share(r["first_point_better"] for r in rs),
            "stock_converged": _share(r["stock_converged"] for r in rs),
        })
    return out


def overall_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per submission over its complete (network, seed) runs that have a finished stock run to compare with:
    how often and how fast it reached stock's final latency (a run that never reached it counts in `runs` but
    not in the means)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["complete"] and r["kind"] == "submission" and r["stock_final_latency_ms"] is not None:
            groups.setdefault(r["model"], []).append(r)
    out = []
    for model, rs in sorted(groups.items()):
        ratios = [r["time_ratio"] for r in rs if r["time_ratio"] is not None]
        auc = [r["mean_latency_ratio"] for r in rs if r["mean_latency_ratio"] is not None]
        out.append({"model": model, "runs": len(rs),
                    "stock_converged": _share(r["stock_converged"] for r in rs),  # known: every row has stock
                    "reached_stock_final": f"{len(ratios)}/{len(rs)}",
                    "first_point_better": _share(r["first_point_better"] for r in rs),
                    "mean_time_ratio": _round(statistics.mean(ratios), 3) if ratios else None,
                    "median_time_ratio": _round(statistics.median(ratios), 3) if ratios else None,
                    "mean_latency_ratio": _round(statistics.mean(auc), 3) if auc else None})
    return out


def timing_rows(results: SearchResult | Iterable[SearchResult]) -> list[dict[str, Any]]:
    """Per network and model: seconds per trial of each part, median over the runs that recorded a timing.
    A search over several networks is timed as one, under their joined names; a convolution's trial costs
    several times a matmul's, so networks searched apart are never pooled."""
    seen: dict[tuple, tuple[str, str, Any]] = {}
    for res in _runs(results):
        network = "+".join(res.networks)
        for model, info in res.models.items():
            name = model if info.kind == "reference" else f"{res.name} {res.submission['version']}"
            if info.timing and info.trials and info.complete:  # a stock run shared by two results counts once
                seen[(network, name, res.seed, info.trials)] = (network, name, info)
    by_model: dict[tuple[str, str], list[Any]] = {}
    for network, name, info in seen.values():
        by_model.setdefault((network, name), []).append(info)
    out = []
    for (network, name), infos in sorted(by_model.items(), key=lambda kv: (kv[0][0], kv[0][1] != STOCK, kv[0][1])):
        row = {"network": network, "model": name, "runs": len(infos),
               "seconds_per_trial": round(statistics.median(i.seconds_per_trial for i in infos), 3)}
        for part in PARTS:
            row[part] = round(statistics.median(i.timing.get(part, 0.0) / i.trials for i in infos), 4)
        out.append(row)
    return out


def _suite_of(runs: list[SearchResult]) -> dict[str, Any]:
    suites = {(r.suite["name"], r.suite["sha256"]) for r in runs}
    if len(suites) != 1:
        raise ValueError(f"search results from several suites: {sorted(suites)}; publish one suite at a time")
    return runs[0].suite


def _card_of(runs: list[SearchResult]) -> str:
    """The one GPU (or CPU) every run was measured on: a page compares runs timed on one kind of card."""
    cards = {str(r.platform.get("gpu") or r.platform.get("cpu") or "?") for r in runs}
    if len(cards) != 1:
        raise ValueError(f"search results measured on several cards: {sorted(cards)}; publish one card a page "
                         "(publish-search --name SUITE-search-CARD ...)")
    return cards.pop()


def _table(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> list[str]:
    def cell(v: Any) -> str:
        return "–" if v is None else str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
    if not rows:
        lines.append("| " + " | ".join(["–"] * len(columns)) + " |")
    return lines


def search_summary_markdown(results: SearchResult | Iterable[SearchResult]) -> str:
    runs = _runs(results)
    suite, card = _suite_of(runs), _card_of(runs)
    commits = sorted({r.harness_commit or "(unknown)" for r in runs})
    rows = search_rows(runs)
    lines = [
        f"# Search: {suite['name']}",
        "",
        ("End-to-end MetaSchedule search with each submission's cost model against TVM's stock XGBModel, under "
         "the protocol of docs/search.md: estimated network latency (sum of weight x best task latency) over "
         "search seconds and trials; every run is compared with its own stock run (same process, machine, "
         "seed, budget). Speed-up = stock's seconds to its own final latency / the model's seconds to it; "
         "it is not given where the model's first point is already at or below stock's final latency "
         "(first_point_better), since it would only time the first round. mean_latency_ratio = the model's "
         "mean latency / stock's over the seconds both curves are defined (area under the curve; < 1 better). "
         "stock_converged: stock's curve moved by at most 1% over the last third of its trials (the protocol's "
         "test of a budget; where it is false, stock was still improving and a time ratio times the budget); "
         "stock_tail_drop: how much stock's latency fell over that last third (0.08 = 8% above its final value "
         "when the last third began). "
         "network_trials: the trials the search spent on that network's tasks (one task scheduler over every "
         "network: a light network can get one batch a task). "
         "Generated by `tircost-bench publish-search`; do not edit by hand."),
        "",
        f"Measured on: {card}; harness commit(s): {', '.join(commits)}.",
        "",
        "## Overall (every network and seed)",
        "",
        *_table(OVERALL, overall_rows(rows)),
        "",
        "## Summary over seeds (median [min, max])",
        "",
        *_table(SUMMARY, summary_rows(rows)),
        "",
        "## Where the seconds go (seconds per trial, median over a network's runs)",
        "",
        *_table(TIMING, timing_rows(runs)),
        "",
        "## Runs",
        "",
        *_table(COLUMNS, rows),
    ]
    return "\n".join(lines) + "\n"


def search_summary_json(results: SearchResult | Iterable[SearchResult]) -> str:
    runs = _runs(results)
    suite = _suite_of(runs)
    rows = search_rows(runs)
    doc = {"suite": suite["name"], "sha256": suite["sha256"], "version": suite["version"], "card": _card_of(runs),
           "columns": list(COLUMNS), "rows": rows, "summary": summary_rows(rows), "overall": overall_rows(rows),
           "timing": timing_rows(runs)}
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def load_results(paths: Iterable[Path]) -> list[SearchResult]:
    return [SearchResult.load(p) for p in paths]


def publish_search(results: SearchResult | Iterable[SearchResult], out_dir: Path | None = None,
                   name: str | None = None) -> tuple[Path, Path]:
    """Write NAME.md and NAME.json (default NAME: <suite>-search; default folder: leaderboard/); rewritten only
    on change. One card a page: a search of the same suite on another card gets a page of its own NAME."""
    runs = _runs(results)
    name = name or f"{_suite_of(runs)['name']}-search"
    folder = Path(out_dir) if out_dir else leaderboard_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"{name}.md", folder / f"{name}.json")
    for path, text in zip(paths, (search_summary_markdown(runs), search_summary_json(runs))):
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return paths
