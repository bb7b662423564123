"""Fit gcn_topk on a suite and register checkpoints/<suite>/seed<k>/ in submission.json.

    nice -n 19 python submissions/gcn_topk/train.py --suite cpu-epyc2 --seeds 0 1 2 [--conv auto]
        [--set max_minutes=5 --set embedding=fasttext]

--conv auto trains GraphConv and GCNConv on the first seed, keeps the one with the better validation
pairwise accuracy for all seeds and writes it into submission.json's parameters.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _parse_sets(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in pairs:
        key, _, raw = kv.partition("=")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw  # bare strings: --set embedding=fasttext
    return out


def train_one(sub: Any, suite: Any, seed: int, params: dict[str, Any]) -> tuple[Any, Path]:
    pred = sub.predictor_class()(seed=seed, **params)
    t0 = time.perf_counter()
    pred.fit(suite.labeled("train"), suite.labeled("val"))
    folder = HERE / "checkpoints" / suite.name / f"seed{seed}"
    if folder.exists():
        shutil.rmtree(folder)
    pred.save(folder)
    print(f"seed {seed} conv={pred.config.conv}: val pairwise {pred.best_val:.4f}, "
          f"{len(pred.history)} epochs, fit {time.perf_counter() - t0:.0f}s ({pred.timing}) -> {folder}",
          flush=True)
    return pred, folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--conv", choices=["graph", "gcn", "auto"], default=None)
    ap.add_argument("--set", dest="sets", action="append", default=[], help="parameter override key=value")
    args = ap.parse_args()

    from tircost_bench.predictors.submission import load_submission
    from tircost_bench.suite.loader import load_suite

    sub = load_submission(HERE)
    suite = load_suite(args.suite)
    params = {**sub.meta.parameters, **_parse_sets(args.sets)}
    seeds = list(args.seeds)
    trained: dict[int, Path] = {}
    if args.conv == "auto":
        scores = {}
        for conv in ("graph", "gcn"):
            pred, folder = train_one(sub, suite, seeds[0], {**params, "conv": conv})
            scores[conv] = pred.best_val
            shutil.move(str(folder), str(folder.with_name(f"seed{seeds[0]}-{conv}")))
        best = max(scores, key=lambda k: scores[k] if scores[k] == scores[k] else -1.0)
        print(f"conv selection on val pairwise: {scores} -> {best}")
        params["conv"] = best
        chosen = HERE / "checkpoints" / suite.name / f"seed{seeds[0]}"
        shutil.move(str(chosen.with_name(f"seed{seeds[0]}-{best}")), str(chosen))
        shutil.rmtree(chosen.with_name(f"seed{seeds[0]}-{'gcn' if best == 'graph' else 'graph'}"))
        trained[seeds[0]] = chosen
        seeds = seeds[1:]
    elif args.conv:
        params["conv"] = args.conv
    for seed in seeds:
        trained[seed] = train_one(sub, suite, seed, params)[1]

    meta = sub.meta
    meta.parameters = {**meta.parameters, **({"conv": params["conv"]} if args.conv else {})}
    reg = meta.checkpoints.setdefault(suite.sha256, {})
    for seed, folder in trained.items():
        reg[str(seed)] = str(folder.relative_to(HERE))
    meta.write(HERE)
    print(f"registered {sorted(trained)} under {suite.name} ({suite.sha256[:12]}) in {HERE / 'submission.json'}")


if __name__ == "__main__":
    main()
