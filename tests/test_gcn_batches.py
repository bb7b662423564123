"""gcn_topk's training batches and ListNet temperature (gcn_topk_model.py): pure numpy/torch, no suite."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "submissions" / "gcn_topk"))
from gcn_topk_model import listnet_loss, pair_loss, task_batches, training_loss


def _tasks() -> tuple[np.ndarray, np.ndarray]:
    """A task of 100 programs, one of 40 and one of 6, z increasing with the index inside each task."""
    tid = np.repeat([0, 1, 2], [100, 40, 6])
    z = np.concatenate([np.linspace(-2, 2, n) for n in (100, 40, 6)]).astype(np.float32)
    return tid, z


def test_random_groups_hold_every_program_once_and_one_task_each() -> None:
    tid, _ = _tasks()
    batches = task_batches(tid, np.random.default_rng(0), 32, 2)
    seen = np.concatenate([idx for idx, _ in batches])
    assert np.array_equal(np.sort(seen), np.arange(tid.size))
    for idx, groups in batches:
        for g in np.unique(groups):
            assert np.unique(tid[idx[groups == g]]).size == 1


def test_top_share_fills_each_group_with_the_tasks_fastest_quarter() -> None:
    tid, z = _tasks()
    batches = task_batches(tid, np.random.default_rng(0), 32, 4, z, top_share=0.5)
    fastest = set(range(25))  # task 0's fastest quarter (lowest z)
    seen = np.concatenate([idx for idx, _ in batches])
    assert set(seen) == set(range(tid.size))  # nobody is left out
    groups0 = [idx[groups == g] for idx, groups in batches for g in np.unique(groups) if tid[idx[groups == g][0]] == 0]
    assert len(groups0) == 5  # the 75 others, 16 a group (the last 11) beside 16 of the fastest
    for g in groups0:
        assert len(set(g) & fastest) >= 16 and np.unique(g).size == g.size
    counts = np.bincount(seen, minlength=tid.size)
    assert counts[:25].mean() > 1.5 and counts[25:100].max() == 1  # the fast programs meet more often
    # tasks no bigger than a group are one group, as without top_share
    assert sorted(np.flatnonzero(tid == 2)) == sorted(s for s in seen if tid[s] == 2)


def test_top_share_zero_draws_the_same_batches_as_before() -> None:
    tid, z = _tasks()
    a = task_batches(tid, np.random.default_rng(3), 16, 4)
    b = task_batches(tid, np.random.default_rng(3), 16, 4, z, top_share=0.0)
    assert all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, b, strict=True))


def test_listnet_temperature_reaches_the_loss() -> None:
    torch.manual_seed(0)
    z = torch.randn(24)
    group = torch.arange(24) // 8
    pred = torch.randn(24)
    cold, warm = (training_loss(pred, z, group, "pair_list", 1.0, t) for t in (0.25, 1.0))
    assert torch.isclose(cold, pair_loss(pred, z, group) + listnet_loss(pred, z, group, 0.25))
    assert not torch.isclose(cold, warm)
    # a colder target puts more weight on each group's fastest program: predicting it fastest pays more
    best_first = z * 10  # predicted z in the true order (low z = fast)
    assert listnet_loss(best_first, z, group, 0.1) < listnet_loss(best_first, z, group, 2.0)
