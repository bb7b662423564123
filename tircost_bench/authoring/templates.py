"""The files `tircost-bench new NAME` writes (string.Template: ${name}, ${class_name}, ${placeholder}).

They live in a module rather than as data files so that any install of the package carries them.
The model is a real, trainable baseline that fits in seconds, so a new author sees the whole
new -> validate -> evaluate -> leaderboard cycle work before changing anything.
"""

from __future__ import annotations

PLACEHOLDER = "TODO"  # any metadata string containing it is flagged by `tircost-bench validate`

MODEL_PY = '''"""${name}: ridge regression of log latency on cheap schedule features. Replace it with your model.

Representation (parameter "representation"):
- "trace" (default): counts and sampled decisions read from `program.trace_json`, the MetaSchedule trace
  (schedule primitives + their random decisions) that produced the program. Pure Python, no TVM call:
  microseconds per program, so fit and predict take seconds even on a full suite.
- "per_store": TVM's PerStoreFeature (164 per buffer store, `tircost_bench.representations.features`),
  mean and max over the program's stores plus the store count. Richer, about 20 ms per program the first
  time (cached on disk per suite afterwards).
Model: standardized features -> ridge regression on log(latency in seconds), one model over all tasks (the
test tasks are never seen in training). The ridge strength is picked from "alphas" by mean squared error on
the validation split (model selection only); with an empty validation split the middle alpha is used.
Ridge has no randomness, so every seed gives the same model: use `self.seed` for anything random in yours.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tircost_bench.predictors.interface import Predictor
from tircost_bench.representations.program import Program
from tircost_bench.suite.loader import LabeledPrograms

# Schedule primitives whose counts describe a program's structure.
KINDS = ("GetSBlock", "Split", "Fuse", "Reorder", "Parallel", "Vectorize", "Unroll", "ComputeAt",
         "ReverseComputeAt", "ComputeInline", "ReverseComputeInline", "CacheRead", "CacheWrite",
         "DecomposeReduction", "RFactor", "Annotate")
N_TRACE = len(KINDS) + 7


def trace_features(program: Program) -> np.ndarray:
    """A fixed-length vector from the trace JSON: [instructions, decisions].

    instructions: [kind, inputs, attrs, outputs]; decisions: [[instruction index, decision], ...].
    SamplePerfectTile decisions are the tile factors of one loop (their product is the loop extent), the
    SampleCategorical decision indexes the candidate list in attrs[0] (MetaSchedule uses it for unrolling).
    """
    insts, decisions = program.trace_json
    counts = dict.fromkeys(KINDS, 0)
    parallel = vectorize = 0.0
    for kind, inputs, attrs, _ in insts:
        if kind in counts:
            counts[kind] += 1
        if kind == "Annotate" and attrs and isinstance(inputs[-1], int):
            if attrs[0] == "meta_schedule.parallel":
                parallel = max(parallel, math.log2(1 + inputs[-1]))
            elif attrs[0] == "meta_schedule.vectorize":
                vectorize = max(vectorize, math.log2(1 + inputs[-1]))
    work = inner = outer = unroll = 0.0
    tiled = 0
    for index, decision in decisions:
        kind, _, attrs, _ = insts[index]
        if kind == "SamplePerfectTile":
            factors = [max(int(f), 1) for f in decision]
            work += sum(math.log2(f) for f in factors)  # log2 of the loop extent
            inner += math.log2(factors[-1])
            outer += math.log2(factors[0])
            tiled += 1
        elif kind == "SampleCategorical":
            unroll = max(unroll, math.log2(1 + float(attrs[0][int(decision)])))
    extra = [work, inner, outer, inner / max(tiled, 1), unroll, parallel, vectorize]
    return np.array([math.log1p(counts[k]) for k in KINDS] + extra, dtype=np.float64)


def per_store_summary(programs: Sequence[Program]) -> np.ndarray:
    from tircost_bench.representations.features import N_FEATURES, per_store_features

    out = np.zeros((len(programs), 2 * N_FEATURES + 1))
    for i, f in enumerate(per_store_features(programs)):
        if f.shape[0]:
            out[i, :N_FEATURES], out[i, N_FEATURES:-1] = f.mean(0), f.max(0)
        out[i, -1] = f.shape[0]
    return out


class ${class_name}(Predictor):
    def __init__(self, seed: int = 0, representation: str = "trace",
                 alphas: Sequence[float] = (0.1, 1.0, 10.0), **parameters: object) -> None:
        super().__init__(seed, representation=representation, alphas=list(alphas), **parameters)
        if representation not in ("trace", "per_store"):
            raise ValueError(f"representation must be 'trace' or 'per_store', got {representation!r}")
        self.representation = representation
        self.alphas = [float(a) for a in alphas]
        self.state: dict[str, np.ndarray] | None = None  # everything `save` writes

    def features(self, programs: Sequence[Program]) -> np.ndarray:
        if self.representation == "per_store":
            return per_store_summary(programs)
        return np.array([p.cached("${name}_trace", trace_features) for p in programs]).reshape(-1, N_TRACE)

    @staticmethod
    def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
        mean, scale = x.mean(0), x.std(0)
        scale[scale == 0] = 1.0  # constant columns carry no information
        z = (x - mean) / scale
        coef = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - y.mean()))
        return {"mean": mean, "scale": scale, "coef": coef, "intercept": np.array(y.mean()),
                "alpha": np.array(alpha)}

    @staticmethod
    def _log_latency(state: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        return ((x - state["mean"]) / state["scale"]) @ state["coef"] + state["intercept"]

    def fit(self, train: LabeledPrograms, valid: LabeledPrograms) -> None:
        if len(train) == 0:
            raise ValueError("fit needs at least one training program")
        x, y = self.features(train.programs), np.log(train.latencies)
        if len(valid):
            xv, yv = self.features(valid.programs), np.log(valid.latencies)
            mse = [np.mean((self._log_latency(self._ridge(x, y, a), xv) - yv) ** 2) for a in self.alphas]
            alpha = self.alphas[int(np.argmin(mse))]
        else:
            alpha = self.alphas[len(self.alphas) // 2]
        self.state = self._ridge(x, y, alpha)  # train only: validation chose alpha, nothing else

    def predict(self, programs: Sequence[Program]) -> np.ndarray:
        if self.state is None:
            raise RuntimeError("${class_name}: call fit or load before predict")
        # Clipped in log space so that the latencies stay finite and > 0, as the harness requires.
        log_latency = self._log_latency(self.state, self.features(programs))
        return np.exp(np.clip(log_latency, -40.0, 10.0)).astype(np.float64)

    def save(self, directory: Path) -> None:
        if self.state is None:
            raise RuntimeError("${class_name}: nothing to save, call fit first")
        np.savez(Path(directory) / "ridge.npz", **self.state)
        (Path(directory) / "config.json").write_text(json.dumps({"representation": self.representation}) + "\\n")

    def load(self, directory: Path) -> None:
        config = json.loads((Path(directory) / "config.json").read_text())
        if config["representation"] != self.representation:
            raise ValueError(f"checkpoint was trained on {config['representation']!r} features, "
                             f"this predictor uses {self.representation!r}")
        with np.load(Path(directory) / "ridge.npz") as z:
            self.state = {k: z[k] for k in z.files}
'''

README_MD = '''# ${name}

${placeholder}: what this cost model is, in a paragraph: the program representation it reads, the model,
the training objective, and how validation is used (model selection / early stopping only).

Scaffolded by `tircost-bench new ${name}`: `model.py` holds a ridge regression on trace features, a
working starting point to replace.

## Reproduce

```bash
tircost-bench validate submissions/${name}                     # quick checks, no full evaluation
tircost-bench train submissions/${name} --suite SUITE --seeds 0 1 2 3 4   # optional: ship checkpoints
tircost-bench evaluate submissions/${name} --suite SUITE --seeds 5
```

## Results

${placeholder}: paste the mean ± std table that `tircost-bench evaluate --seeds 5` printed, with the suite
name, version and sha256 it was measured on.
'''

TEST_REGRESSION_PY = '''"""Guard ${name}'s published leaderboard row (the tircost-bench pytest plugin).

    pytest submissions/${name}/tests --tircost-suite SUITE            # --tircost-tolerance 0.01 by default

Skipped until the submission has a row: `tircost-bench evaluate ...` then `tircost-bench leaderboard --publish`.
"""

from pathlib import Path

import pytest

SUBMISSION = Path(__file__).resolve().parents[1]


def test_${name}_holds_its_leaderboard_row(tircost_evaluate, tircost_assert_no_regression):
    result = tircost_evaluate(SUBMISSION, seeds=1)
    try:
        tircost_assert_no_regression(result, tolerance=0.01)
    except (LookupError, FileNotFoundError) as err:  # not published yet: nothing to regress from
        pytest.skip(str(err))
'''
