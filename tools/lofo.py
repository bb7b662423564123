"""Leave-one-family-out validation of a submission on CPU (a thin runner over tircost_bench.evaluation.lofo).

    python tools/lofo.py submissions/xgboost --suite h100 --seed 0 --json-out /tmp/lofo-xgb.json [--fold NAME]

For each default family (or --fold): fit the submission's predictor on train/val without the family, score it
on the family's train/val tasks. Only train and val labels are read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tircost_bench.evaluation.lofo import default_folds, run_fold
from tircost_bench.predictors.submission import load_submission
from tircost_bench.progress import stage
from tircost_bench.suite.loader import load_suite


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("submission", type=Path)
    ap.add_argument("--suite", default="h100")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fold", action="append", default=[])
    ap.add_argument("--set", dest="sets", action="append", default=[], help="parameter override key=json")
    ap.add_argument("--json-out", type=Path, required=True)
    a = ap.parse_args()
    sub = load_submission(a.submission)
    params = {**sub.meta.parameters, **{k: json.loads(v) for k, _, v in (s.partition("=") for s in a.sets)}}
    suite = load_suite(a.suite)
    folds = [f for f in default_folds(suite) if not a.fold or f.name in a.fold]
    out = []
    with stage("lofo folds", total=len(folds)) as bar:
        for fold in folds:
            out.append({"submission": sub.meta.name, "version": sub.meta.version, "seed": a.seed,
                        **run_fold(lambda: sub.predictor_class()(seed=a.seed, **params), suite, fold)})
            print(json.dumps(out[-1]), flush=True)
            a.json_out.write_text(json.dumps(out, indent=1))
            bar.advance(1)


if __name__ == "__main__":
    main()
