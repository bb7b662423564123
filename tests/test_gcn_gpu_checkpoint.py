"""gcn_topk checkpoints trained on the GPU load and predict on CPU as they did on the GPU.

Each h100 checkpoint folder holds gpu_check.npz: 64 validation programs packed exactly as the predictor packs
them (embedding rows, standardized numeric features, both edge directions) and the z the GPU predicted for
them right after training. On CPU the loaded model must give the same z and the same order of the 64
programs. Float32 on two devices with two scatter orders agrees to ~1e-6 (median |dz| <= 1e-5); a node
score tie in TopKPooling can keep a different node on each device, which moved one program of 320 by
4e-3 (seed 2), so the largest |dz| allowed is 1e-2, well below the spacing that changes an order here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

SUBMISSION = Path(__file__).resolve().parents[1] / "submissions" / "gcn_topk"
H100 = "9b1251affbfbb244cc010ff1086463f66c8adf4cf77eaf37e6b3ac9617d71385"
MEDIAN_TOLERANCE = 1e-5
MAX_TOLERANCE = 1e-2


def _checkpoints() -> list[Path]:
    meta = json.loads((SUBMISSION / "submission.json").read_text())
    folders = [SUBMISSION / rel for rel in meta["checkpoints"].get(H100, {}).values()]
    return [f for f in folders if (f / "gpu_check.npz").exists()]


@pytest.fixture(scope="module")
def predictor_module():
    sys.path.insert(0, str(SUBMISSION))
    import gcn_topk_model
    import predictor

    return predictor, gcn_topk_model


def cpu_and_gpu_z(folder: Path, predictor: Any, model_mod: Any, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The z the checkpoint in `folder` predicts here for its gpu_check.npz programs, and the z stored there."""
    pred = predictor.GCNTopKPredictor(seed=seed)
    pred.load(folder)
    c = np.load(folder / "gpu_check.npz")
    node_end, edge_end = np.cumsum(c["n_nodes"]), np.cumsum(c["n_edges"])
    packed = []
    for i in range(len(c["uids"])):
        n0, n1 = node_end[i] - c["n_nodes"][i], node_end[i]
        e0, e1 = edge_end[i] - c["n_edges"][i], edge_end[i]
        prog = torch.from_numpy(c["prog"][i]) if "prog" in c else None  # a program_features checkpoint
        packed.append(model_mod.PackedGraph(torch.from_numpy(c["tok"][n0:n1]), torch.from_numpy(c["num"][n0:n1]),
                                            torch.from_numpy(c["edges"][:, e0:e1]), prog))
    return pred._predict_z(packed), c["z_gpu"]


@pytest.mark.parametrize("folder", _checkpoints(), ids=lambda p: p.name)
def test_gpu_checkpoint_predicts_the_same_on_cpu(folder: Path, predictor_module) -> None:
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["reconstructed"] is False and prov["hardware"]["device"].startswith("NVIDIA H")  # an H100 or H200
    z_cpu, z_gpu = cpu_and_gpu_z(folder, *predictor_module, prov["seed"])
    dz = np.abs(z_cpu - z_gpu)
    assert np.median(dz) <= MEDIAN_TOLERANCE and dz.max() <= MAX_TOLERANCE, (np.median(dz), dz.max())
    assert np.array_equal(np.argsort(z_cpu, kind="stable"), np.argsort(z_gpu, kind="stable"))


def test_there_are_gpu_checkpoints() -> None:
    assert len(_checkpoints()) == 5
