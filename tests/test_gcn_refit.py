"""Training without val selection (tools/device/gcn_train_gpu.py --keep last|swa, --refit): the weight average
is the mean of the averaged epochs' weights, a refit trains on train+val and never scores val, and a refit
that asks for val-selected weights is refused; split-half runs (--fit-val-tasks, --report-tasks) move val
tasks into training or into a report-only set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import test_ast_graph as shared
import torch

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools" / "device"
cache = shared.cache  # shared fixture
PARAMS = {"conv": "sage", "layers": 2, "hidden": 16, "embedding": "word2vec", "emb_dim": 8, "per_task": 8,
          "loss": "pair_list", "select": "composite"}


def test_weight_average_is_the_mean_of_the_added_weights() -> None:
    sys.path.insert(0, str(TOOLS))
    import gcn_train_gpu

    nets = [torch.nn.Linear(3, 2) for _ in range(3)]
    avg = gcn_train_gpu.WeightAverage(nets[0])
    for n in nets:
        avg.add(n)
    assert avg.n == 3
    for key, value in gcn_train_gpu.cpu_state(avg.model).items():
        torch.testing.assert_close(value, torch.stack([n.state_dict()[key] for n in nets]).mean(0))


def _train(stage: Path, cache: Path, out: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOLS / "gcn_train_gpu.py"), "train", "--data", str(stage), "--device",
                           "cpu", "--out", str(out), "--params", json.dumps(PARAMS), "--max-epochs", "3", *flags],
                          check=False, cwd=ROOT, env={**os.environ, "TIRCOST_CACHE_DIR": str(cache)},
                          capture_output=True, text=True, timeout=600)


def test_refit_trains_on_train_and_val_without_scoring_val(mini_suite, cache: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(TOOLS))
    import gcn_export

    stage = tmp_path / "stage"
    stage.mkdir()
    got = gcn_export.export_graphs(mini_suite, stage, folds=[])
    gcn_export.export_embedding(got["train"], got["vocab"], stage, "word2vec", 8, 0)
    n_train, n_val = (len(mini_suite.programs_of(s)) for s in ("train", "val"))

    done = _train(stage, cache, tmp_path / "refit", "--refit", "--keep", "swa", "--swa-start", "1")
    assert done.returncode == 0, done.stderr
    r = json.loads((tmp_path / "refit" / "result.json").read_text())
    assert r["refit"] and r["keep"] == "swa" and (r["n_train"], r["n_val"]) == (n_train + n_val, 0)
    assert r["swa_epochs"] == 2 and len(r["history"]) == 3  # epochs 1 and 2 averaged; every epoch ran
    assert not any(k.startswith("val_") for h in r["history"] for k in h)  # val is training data here

    plain = _train(stage, cache, tmp_path / "plain", "--keep", "best", "--swa-start", "1", "--patience", "3")
    assert plain.returncode == 0, plain.stderr
    h = json.loads((tmp_path / "plain" / "result.json").read_text())["history"]
    assert "val_swa_composite" not in h[0] and all("val_swa_composite" in e for e in h[1:])  # reported, not kept

    refused = _train(stage, cache, tmp_path / "bad", "--refit")  # --keep best by default: nothing to select on
    assert refused.returncode != 0 and "keep='best' selects on val" in refused.stderr

    # the one val task of the mini suite only reported: trained on train, scored every epoch, never selected on
    (tmp_path / "report.json").write_text(json.dumps(sorted(mini_suite.split_tasks["val"])))
    half = _train(stage, cache, tmp_path / "half", "--keep", "last", "--report-tasks", str(tmp_path / "report.json"),
                  "--stop-epoch", "1")
    assert half.returncode == 0, half.stderr
    r = json.loads((tmp_path / "half" / "result.json").read_text())
    assert (r["n_train"], r["n_val"]) == (n_train, 0)
    assert r["stop"] == "stop_epoch" and len(r["history"]) == 2  # epochs 0 and 1 of a 3-epoch schedule
    assert all("report_composite" in e and "val_composite" not in e for e in r["history"])


def test_val_roles_move_named_val_tasks_into_training_or_the_report(tmp_path: Path) -> None:
    sys.path.insert(0, str(TOOLS))
    import gcn_train_gpu

    data = SimpleNamespace(meta={"tasks": ["t0", "t1", "t2", "t3"]}, task=np.array([0, 0, 1, 2, 2, 3]))
    tr, va = np.array([0, 1]), np.array([2, 3, 4, 5])  # programs 2-5: val tasks t1, t2, t2, t3
    files = {}
    for name, tasks in (("fit", ["t2"]), ("report", ["t3"]), ("clash", ["t2", "t3"]), ("train", ["t0"])):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(tasks))
    fit, select, report = gcn_train_gpu.val_roles(data, tr, va, files["fit"], files["report"])
    assert (fit.tolist(), select.tolist(), report.tolist()) == ([0, 1, 3, 4], [2], [5])
    with pytest.raises(SystemExit, match="share 1 task"):
        gcn_train_gpu.val_roles(data, tr, va, files["clash"], files["report"])
    with pytest.raises(SystemExit, match="not val tasks here, e.g. t0"):
        gcn_train_gpu.val_roles(data, tr, va, files["train"], None)


def test_split_half_scores_each_arm_on_the_half_it_never_saw(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    import gcn_split_half

    def run(name: str, keep: str, best_epoch: int, history: list[dict]) -> None:
        (tmp_path / name).mkdir()
        (tmp_path / name / "result.json").write_text(json.dumps({"keep": keep, "best_epoch": best_epoch,
                                                                 "history": history}))

    def scores(prefix: str, v: float) -> dict:
        return {f"{prefix}_{m}": v for m in gcn_split_half.METRICS}

    # early stopping kept epoch 1 (best on its selection half); its score is that epoch's report, not the best one
    run("es-s0-selA", "best", 1, [scores("val", 0.1) | scores("report", 0.9), scores("val", 0.8) | scores("report", 0.5),
                                  scores("val", 0.2) | scores("report", 0.7)])
    run("rf-s0-fitA", "last", 1, [scores("val", 0.3), scores("val", 0.6)])  # refit: the last epoch's val
    run("es-s1-selB", "best", 0, [scores("val", 0.5) | scores("report", 0.4)])  # no refit partner: skipped
    (row,) = gcn_split_half.main([str(tmp_path), "--json-out", str(tmp_path / "out.json")])
    assert (row["early_stopping"]["composite"], row["early_stopping"]["epoch"]) == (0.5, 1)
    assert (row["refit"]["composite"], row["refit"]["epoch"]) == (0.6, 1)
    assert row["refit_minus_early_stopping"]["pairwise"] == pytest.approx(0.1)
    assert json.loads((tmp_path / "out.json").read_text())["mean_difference"]["top5"] == pytest.approx(0.1)


def test_epoch_rules_choose_on_one_half_and_score_the_other(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    sys.path.insert(0, str(ROOT / "submissions" / "gcn_topk"))
    import gcn_split_half
    from gcn_topk_model import val_scores

    tasks = ["a"] * 4 + ["b"] * 4
    log_lat = [0.0, 1.0, 2.0, 3.0] * 2
    good, bad = [0.0, 1.0, 2.0, 3.0], [3.0, 2.0, 1.0, 0.0]
    z = [good + bad, bad + good, good + [1.0, 0.0, 3.0, 2.0]]  # epoch 0: a ranked right, 1: b right, 2: a right
    (tmp_path / "s0").mkdir()
    (tmp_path / "s0" / "result.json").write_text(json.dumps({"val_tasks": tasks, "val_log_lat": log_lat,
                                                             "val_z_by_epoch": z}))
    rows = {(r["chosen_on"], r["rule"]): r for r in gcn_split_half.epoch_rules(tmp_path / "s0", {"a"}, ks=(2,))}
    lat, m = np.exp(np.array(log_lat)), np.array(tasks) == "b"
    # chosen on A (task a): epoch 0 is its first best; scored on B (task b) with epoch 0's predictions
    want = val_scores(np.array(z[0])[m], lat[m], np.array(tasks)[m])
    assert rows["A", "early stopping (patience 10)"]["composite"] == pytest.approx(want["composite"])
    # the best two epochs on A are 0 and 2: their mean prediction, scored on B
    mean = (np.array(z[0]) + np.array(z[2])) / 2
    assert rows["A", "mean of the best 2 epochs"]["pairwise"] == pytest.approx(
        val_scores(mean[m], lat[m], np.array(tasks)[m])["pairwise"])
    # chosen on B: epoch 1 ranks b right and a backwards; the last epoch ranks a right
    assert rows["B", "early stopping (patience 10)"]["pairwise"] == pytest.approx(0.0)
    assert rows["B", "last epoch"]["pairwise"] == pytest.approx(1.0)
