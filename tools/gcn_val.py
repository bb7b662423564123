"""Compare gcn_topk checkpoint sets on the suite's val split (CPU), to choose between them without looking at test.

    python tools/gcn_val.py --suite h100 --json-out val.json \
        --candidate "0.4.1 shipped=submissions/gcn_topk/checkpoints:median" \
        --candidate "study-4=/tmp/gcn5-ckpt:mean" --candidate "study-4=/tmp/gcn5-ckpt:median"

A candidate is NAME=ROOT:COMBINE, ROOT holding <suite>/seed<k>/ checkpoints (what gcn_collect.py writes) and
COMBINE how an ensemble's members are combined (mean or median). Each seed's checkpoint predicts the val
programs (GCNTopKPredictor.load + predict, as evaluation does) and is scored by val_scores (mean per task of
pairwise, peak@1, top-5 recall and their mean, composite); the report is each metric's mean and std over seeds.
Only train/val are read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions" / "gcn_topk"))
from gcn_topk_model import val_scores
from predictor import GCNTopKPredictor

from tircost_bench.progress import stage
from tircost_bench.suite.loader import load_suite


def parse_candidate(text: str) -> tuple[str, Path, str]:
    name, _, rest = text.partition("=")
    root, _, combine = rest.rpartition(":")
    if not name or not root or combine not in ("mean", "median"):
        raise SystemExit(f"--candidate {text!r}: expected NAME=ROOT:mean or NAME=ROOT:median")
    return name, Path(root), combine


def score_candidate(root: Path, combine: str, suite_name: str, val, seeds: list[int]) -> dict[str, list[float]]:
    per_seed: dict[str, list[float]] = {}
    for seed in seeds:
        predictor = GCNTopKPredictor(seed, combine=combine)  # combine is a run-time setting: load keeps it
        predictor.load(root / suite_name / f"seed{seed}")
        z = np.log(predictor.predict(val.programs))
        for k, v in val_scores(z, val.latencies, val.task_ids).items():
            per_seed.setdefault(k, []).append(round(v, 4))
    return per_seed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--candidate", action="append", required=True, help="NAME=ROOT:mean|median")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--json-out", type=Path, required=True)
    a = ap.parse_args()
    suite = load_suite(a.suite)
    val = suite.labeled("val")
    report = {"what": f"{a.suite} val split ({len(np.unique(val.task_ids))} tasks, {len(val.programs)} programs), "
                      f"seeds {a.seeds}, CPU; mean and std over seeds, then the per-seed values",
              "command": "python tools/gcn_val.py " + " ".join(sys.argv[1:]), "candidates": {}}
    for text in a.candidate:
        name, root, combine = parse_candidate(text)
        with stage(f"val {name} ({combine})"):
            per_seed = score_candidate(root, combine, suite.name, val, a.seeds)
        summary = {k: [round(float(np.mean(v)), 4), round(float(np.std(v)), 4)] for k, v in per_seed.items()}
        report["candidates"][f"{name} ({combine})"] = {**summary, "per_seed": per_seed}
        print(f"{name} ({combine}): " + ", ".join(f"{k} {m:.4f} ± {s:.4f}" for k, (m, s) in summary.items()))
    a.json_out.parent.mkdir(parents=True, exist_ok=True)
    a.json_out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
