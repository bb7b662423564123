"""Split-half test of refitting gcn_topk on val: is half of val worth more as training data or as the early-stopping set?

    python tools/gcn_split_half.py RESULTS [--json-out FILE]

RESULTS holds gcn_train_gpu.py `train` runs named es-s<seed>-sel<H> (train only, early stopping on val half H,
the other half reported: `--report-tasks`) and rf-s<seed>-fit<H> (train + val half H, a fixed number of epochs,
the last epoch's weights: `--fit-val-tasks --keep last`). Both arms are scored on the half that neither saw
(for es: its report_* at the epoch it kept; for rf: its val_* at its last epoch), so the comparison is free of
the selection bias a val-selected epoch carries on its own val set.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

METRICS = ("pairwise", "peak1", "top5", "composite")


def arm_scores(run: Path) -> dict[str, float]:
    """The run's scores on the val half it neither trained nor selected on."""
    r = json.loads((run / "result.json").read_text())
    if r["keep"] == "best":  # early stopping: the kept epoch's report_* (the half it never saw)
        kept = r["history"][r["best_epoch"]]
        return {m: kept[f"report_{m}"] for m in METRICS} | {"epoch": r["best_epoch"]}
    last = r["history"][-1]  # refit: val_* is the half that stayed out of training
    return {m: last[f"val_{m}"] for m in METRICS} | {"epoch": len(r["history"]) - 1}


def compare(results: Path, refit: str = "rf") -> list[dict]:
    rows = []
    for es in sorted(results.glob("es-s*-sel*/result.json")):
        seed, selected = re.fullmatch(r"es-s(\d+)-sel(\w)", es.parent.name).groups()
        rf = results / f"{refit}-s{seed}-fit{selected}"
        if not (rf / "result.json").exists():
            continue
        e, f = arm_scores(es.parent), arm_scores(rf)
        rows.append({"seed": int(seed), "half_used": selected, "early_stopping": e, "refit": f,
                     "refit_minus_early_stopping": {m: f[m] - e[m] for m in METRICS}})
    return rows


def epoch_rules(run: Path, half_a: set[str], ks: tuple[int, ...] = (1, 3, 5)) -> list[dict]:
    """Rules for choosing a run's weights from its epochs, each chosen on one val half and scored on the other,
    from a `--save-val-z` run (every epoch's val predictions): the best epoch (also as early stopping with
    patience 10 sees it), the mean prediction of the best k epochs (a snapshot ensemble), and the last epoch."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "submissions" / "gcn_topk"))
    from gcn_topk_model import val_scores

    r = json.loads((run / "result.json").read_text())
    tasks, lat = np.array(r["val_tasks"]), np.exp(np.array(r["val_log_lat"]))
    z = np.array(r["val_z_by_epoch"], dtype=np.float64)  # epochs x programs
    in_a = np.isin(tasks, list(half_a))
    rows = []
    for name, sel in (("A", in_a), ("B", ~in_a)):
        other = ~sel
        chosen = np.array([val_scores(e[sel], lat[sel], tasks[sel])["composite"] for e in z])
        order = np.argsort(-chosen, kind="stable")
        rules = {"early stopping (patience 10)": z[early_stopping_epoch(chosen, 10)],
                 **{f"mean of the best {k} epochs": z[order[:k]].mean(0) for k in ks},
                 "last epoch": z[-1]}
        for rule, pred in rules.items():
            scores = val_scores(pred[other], lat[other], tasks[other])
            rows.append({"run": run.name, "chosen_on": name, "rule": rule, **scores})
    return rows


def early_stopping_epoch(scores: np.ndarray, patience: int) -> int:
    """The epoch gcn_train_gpu.train keeps with --keep best: the best so far when `patience` epochs in a row
    brought no gain (or at the end)."""
    best, kept, bad = -np.inf, 0, 0
    for epoch, score in enumerate(scores):
        if score > best:
            best, kept, bad = score, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                break
    return kept


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path)
    ap.add_argument("--json-out", type=Path, default=None)
    ap.add_argument("--refit", default="rf", help="name prefix of the refit runs (rf-s<seed>-fit<H>)")
    ap.add_argument("--epoch-rules", type=Path, default=None, metavar="HALF_A_JSON",
                    help="instead: compare ways of choosing epochs in RESULTS/*/ runs made with --save-val-z, "
                         "val half A = the task ids in this file, B = the rest")
    a = ap.parse_args(argv)
    if a.epoch_rules:
        return print_epoch_rules(a.results, set(json.loads(a.epoch_rules.read_text())), a.json_out)
    rows = compare(a.results, a.refit)
    if not rows:
        raise SystemExit(f"{a.results}: no es-s<seed>-sel<H> run with its {a.refit}-s<seed>-fit<H> partner")
    print("| seed | val half used | scored on | early stopping (epoch) | refit (epochs) | difference |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        e, f, d = r["early_stopping"], r["refit"], r["refit_minus_early_stopping"]
        print(f"| {r['seed']} | {r['half_used']} | the other | {e['composite']:.4f} ({e['epoch']}) | "
              f"{f['composite']:.4f} ({f['epoch'] + 1}) | {d['composite']:+.4f} |")
    mean = {m: float(np.mean([r["refit_minus_early_stopping"][m] for r in rows])) for m in METRICS}
    print("mean refit - early stopping: " + ", ".join(f"{m} {v:+.4f}" for m, v in mean.items()))
    if a.json_out:
        a.json_out.write_text(json.dumps({"pairs": rows, "mean_difference": mean}, indent=1) + "\n")
    return rows


def print_epoch_rules(results: Path, half_a: set[str], json_out: Path | None) -> list[dict]:
    rows = [row for run in sorted(p.parent for p in results.glob("*/result.json")) for row in epoch_rules(run, half_a)]
    if not rows:
        raise SystemExit(f"{results}: no run made with --save-val-z")
    rules = list(dict.fromkeys(r["rule"] for r in rows))
    print("| rule (chosen on one val half, scored on the other; mean of runs x halves) | pairwise | peak@1 | top-5 | composite |")
    print("|---|---|---|---|---|")
    summary = {}
    for rule in rules:
        mine = [r for r in rows if r["rule"] == rule]
        summary[rule] = {m: float(np.mean([r[m] for r in mine])) for m in METRICS}
        print(f"| {rule} ({len(mine)}) | " + " | ".join(f"{summary[rule][m]:.4f}" for m in METRICS) + " |")
    if json_out:
        json_out.write_text(json.dumps({"rows": rows, "mean": summary}, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
