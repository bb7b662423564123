"""The test labels: an evaluator-only object, separate from what the loader offers submissions.

`Suite` (programs of every split, labels of train and val) is what submission code may see;
`TestLabels` is read from the suite store when scoring, is never memoized in a module global, and
never exists in a process that runs submission code (submissions run in a worker process).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tircost_bench.suite.loader import Suite


@dataclass(frozen=True, eq=False)
class TestLabels:
    """Measured test programs in test order: uid, task id, mean latency (s) and its standard error (s)."""

    __test__ = False  # not a pytest test class

    uids: np.ndarray  # int64 (n,), the programs' uids (record line in the suite)
    task_ids: np.ndarray  # str (n,)
    latencies: np.ndarray  # float64 (n,), mean of the repeats
    std_errors: np.ndarray  # float64 (n,), std of the repeats / sqrt(repeats); NaN with one repeat

    def __len__(self) -> int:
        return int(self.uids.size)


def read_test_labels(suite: Suite) -> TestLabels:
    """The test split's labels, in the order of `suite.programs_of("test")`, read from the suite store's label
    columns (only the test rows). For the evaluator only."""
    programs = suite.programs_of("test")
    uids = np.array([p.uid for p in programs], dtype=np.int64)
    latencies, std_errors = suite.latencies_of(uids)
    return TestLabels(uids, np.array([p.task_id for p in programs]), np.array(latencies, dtype=np.float64),
                      np.array(std_errors, dtype=np.float64))
