"""Task-level splits: whole held-out networks for test (TenSet's five), a hashed 10% for validation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from tircost_bench.records import TaskInfo

SPLITS = ("train", "val", "test")


def base_network(network_id: str) -> str:
    return network_id.rsplit("-b", 1)[0]


def make_splits(tasks: Sequence[TaskInfo], held_out: Iterable[str], val_fraction: float = 0.1) -> dict[str, list[str]]:
    """test = every task of a held-out network (any batch), even where other networks share it;
    val = the fixed `val_fraction` of the rest with the smallest sha256(task id); train = the others."""
    held = set(held_out)
    test = [t.task_id for t in tasks if any(base_network(u.network) in held for u in t.uses)]
    test_set = set(test)
    rest = sorted(
        (t.task_id for t in tasks if t.task_id not in test_set),
        key=lambda tid: hashlib.sha256(tid.encode()).hexdigest(),
    )
    n_val = round(len(rest) * val_fraction)
    return {"train": sorted(rest[n_val:]), "val": sorted(rest[:n_val]), "test": sorted(test)}
