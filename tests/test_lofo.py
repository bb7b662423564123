"""Leave-one-family-out folds: the family's tasks leave train and val entirely and are exactly what is scored."""

from __future__ import annotations

import numpy as np
import pytest

from tircost_bench.evaluation.lofo import default_folds, make_fold, score, split_fold
from tircost_bench.suite.loader import load_suite


@pytest.fixture(scope="module")
def suite():
    return load_suite("cpu-epyc2")


def test_folds_hold_out_whole_families(suite) -> None:
    for fold in default_folds(suite):
        train, val, held = split_fold(suite, fold)
        held_tasks = set(fold.task_ids)
        assert held_tasks == set(held.task_ids)
        assert not held_tasks & set(train.task_ids) and not held_tasks & set(val.task_ids)
        assert len(train) + len(val) + len(held) == len(suite.labeled("train")) + len(suite.labeled("val"))
        for t in held_tasks:  # nothing outside the family
            info = suite.tasks[t]
            if fold.kind == "network":
                assert any(u.network in fold.members for u in info.uses)
            else:
                assert info.op_family in fold.members


def test_score_rewards_the_true_order(suite) -> None:
    fold = make_fold(suite, "depthwise", "op_family", ("depthwise_conv2d",))
    _, _, held = split_fold(suite, fold)
    perfect = score(suite, fold, held, held.latencies).overall
    reverse = score(suite, fold, held, -held.latencies).overall
    assert perfect["pairwise_accuracy"] > 0.99 and reverse["pairwise_accuracy"] < 0.01
    assert perfect["peak_score@1"] == pytest.approx(1.0)


def test_unknown_family_is_a_clear_error(suite) -> None:
    with pytest.raises(ValueError, match="no train/val task"):
        make_fold(suite, "none", "network", ("no_such_net-b1",))
    with pytest.raises(ValueError, match="fold kind"):
        make_fold(suite, "bad", "layer", ("x",))
    assert np.all(np.isfinite(suite.labeled("train").latencies))
