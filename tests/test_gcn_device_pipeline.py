"""The GPU training pipeline of gcn_topk, run on CPU on the mini suite: arrays exported as for the device
(tools/device/gcn_export.py), two ensemble members trained by tools/device/gcn_train_gpu.py (the device's
own entry point, `--device cpu`), merged into one checkpoint by tools/device/gcn_collect.py, and loaded by
the predictor: the shipped h100 checkpoints were made this way on the lent GPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import test_ast_graph as shared
import test_gcn_gpu_checkpoint as gpu_check

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools" / "device"
cache, predictor_module = shared.cache, gpu_check.predictor_module  # shared fixtures
PARAMS = {"conv": "sage", "layers": 2, "hidden": 16, "embedding": "word2vec", "emb_dim": 8, "per_task": 8,
          "loss": "pair_list", "select": "composite", "members": 2}


@pytest.mark.parametrize("program_features", [False, True])
def test_members_trained_by_the_device_script_load_as_one_ensemble(mini_suite, cache: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   predictor_module, program_features: bool) -> None:
    sys.path.insert(0, str(TOOLS))
    import gcn_collect
    import gcn_export

    stage, results = tmp_path / "stage", tmp_path / "results"
    stage.mkdir()
    got = gcn_export.export_graphs(mini_suite, stage, folds=[])
    gcn_export.export_embedding(got["train"], got["vocab"], stage, "word2vec", 8, 0)
    if program_features:
        gcn_export.export_programs(mini_suite, stage, workers=1)
    params = {**PARAMS, "program_features": program_features}
    for member in (0, 1):
        subprocess.run([sys.executable, str(TOOLS / "gcn_train_gpu.py"), "train", "--data", str(stage), "--device",
                        "cpu", "--out", str(results / f"seed0-m{member}"), "--params", json.dumps(params), "--seed",
                        "0", "--member", str(member), "--max-epochs", "2", "--patience", "2"],
                       check=True, cwd=ROOT, env={**os.environ, "TIRCOST_CACHE_DIR": str(cache)}, timeout=600)
    runs = [json.loads((results / f"seed0-m{m}" / "result.json").read_text()) for m in (0, 1)]
    assert [r["member"] for r in runs] == [0, 1] and runs[0]["check_z"] != runs[1]["check_z"]  # two networks

    meta = json.loads((stage / "meta.json").read_text())
    by_uid = {p.uid: p for s in ("train", "val") for p in mini_suite.programs_of(s)}
    out = tmp_path / "root" / mini_suite.name / "seed0"  # the layout tools/gcn_val.py reads
    gcn_collect.write_checkpoint([results / "seed0-m0", results / "seed0-m1"], stage, meta, mini_suite, by_uid, out,
                                 "pytest")
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["members"] == 2 and len(config["members_best_val"]) == 2
    assert config["config"]["program_features"] is program_features and ("program_mean" in config) is program_features
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["suite"]["sha256"] == mini_suite.sha256 and prov["reconstructed"] is False
    assert set(prov["task_ids"]["train"]) == set(mini_suite.split_tasks["train"])
    # the ensemble loaded here predicts the mean of what each member predicted where it was trained
    z_here, z_stored = gpu_check.cpu_and_gpu_z(out, *predictor_module, seed=0)
    np.testing.assert_allclose(z_stored, np.mean([r["check_z"] for r in runs], axis=0), atol=1e-6)
    np.testing.assert_allclose(z_here, z_stored, atol=1e-5)

    # tools/gcn_val.py (the val decision between checkpoint sets) scores this checkpoint as the predictor does
    sys.path.insert(0, str(ROOT / "tools"))
    import gcn_val

    val = mini_suite.labeled("val")
    scored = gcn_val.score_candidate(tmp_path / "root", "mean", mini_suite.name, val, [0])
    pred = predictor_module[0].GCNTopKPredictor(seed=0)
    pred.load(out)
    direct = predictor_module[1].val_scores(np.log(pred.predict(val.programs)), val.latencies, val.task_ids)
    assert scored.keys() == direct.keys() and all(len(v) == 1 for v in scored.values())
    for k in direct:
        assert scored[k][0] == pytest.approx(direct[k], abs=1e-4)
    with pytest.raises(SystemExit, match="NAME=ROOT:mean"):
        gcn_val.parse_candidate("shipped=checkpoints:max")
