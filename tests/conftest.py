"""Shared fixtures: a small scorable suite cut from a real one, an isolated MLflow store, temp submissions."""

from __future__ import annotations

import json
import lzma
import shutil
import textwrap
from collections.abc import Collection
from pathlib import Path

import pytest

from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.suite.manifest import Manifest, SplitCounts, sha256_file

# Real measured suites to cut the test suites from, first found wins. Only the shipped suite: CI has nothing else.
SOURCE_SUITES = [PROJECT_ROOT / "suites" / "cpu-epyc2"]
# The mini suite (TVM-backed tests: AST graphs, features, GCN, xgboost): conv2d tasks only, so every program has
# parallel and serial loops, global stores and loads; several train tasks (per-task groups, embeddings), a val task.
MINI_SPLITS = {"n_test": 1, "n_train": 3, "n_val": 1, "max_programs": 4}
MINI_OP_FAMILIES = ("conv2d",)
HELD_OUT_USES = {0: [("resnet_50-b1", 2), ("mobilenet_v2-b1", 1)], 1: [("mobilenet_v2-b1", 3)]}


def _lines(path: Path) -> list[str]:
    with lzma.open(path, "rt") as f:
        return f.read().splitlines()


def _write_xz(path: Path, lines: list[str]) -> None:
    with lzma.open(path, "wt", preset=6) as f:
        f.writelines(line + "\n" for line in lines)


def build_small_suite(src: Path, dst: Path, name: str = "tiny", n_test: int = 2, n_train: int = 1,
                      max_programs: int = 6, n_val: int = 0, op_families: Collection[str] | None = None) -> Path:
    """Copy `n_test + n_train + n_val` tasks (at most `max_programs` records each) of a packed suite into `dst`.

    Tasks are taken in task_id order among those with 4+ measured programs (and, if given, of `op_families`):
    the first `n_test` form the test split, the next `n_train` the train split, the next `n_val` the val split.
    The test tasks are made members of held-out networks (so network scores are defined), and the last
    record of the first test task is turned into a runtime_error (so failure counts are exercised).
    """
    manifest = Manifest.read(src)
    tasks = json.loads((src / "tasks.json").read_text())
    workloads = _lines(src / "database_workload.json.xz")
    records = _lines(src / "database_tuning_record.json.xz")
    meas = [json.loads(x) for x in _lines(src / "measurements.jsonl.xz")]
    ok = {t["task_id"]: sum(m["status"] == "ok" and m["task_id"] == t["task_id"] for m in meas) for t in tasks}
    n_tasks = n_test + n_train + n_val
    chosen = [t for t in sorted(tasks, key=lambda t: t["task_id"])
              if ok[t["task_id"]] >= 4 and (op_families is None or t.get("op_family") in op_families)][:n_tasks]
    if len(chosen) < n_tasks:
        pytest.fail(f"{src} has too few tasks with 4+ measured programs (and op family in {op_families})")
    test_ids = [t["task_id"] for t in chosen[:n_test]]
    for i, t in enumerate(chosen[:n_test]):
        t["uses"] = [*t["uses"], *({"network": n, "weight": w} for n, w in HELD_OUT_USES.get(i, []))]
    dst.mkdir(parents=True)
    (dst / "splits").mkdir()
    w_map: dict[int, int] = {}
    out_w, out_r, out_m = [], [], []
    per_task: dict[str, int] = {}
    for line, m in zip(records, meas):
        if m["task_id"] not in {t["task_id"] for t in chosen} or per_task.get(m["task_id"], 0) >= max_programs:
            continue
        per_task[m["task_id"]] = per_task.get(m["task_id"], 0) + 1
        w_index, rec = json.loads(line)
        if w_index not in w_map:
            w_map[w_index] = len(out_w)
            out_w.append(workloads[w_index])
        m = dict(m, record=len(out_r))
        out_r.append(json.dumps([w_map[w_index], rec], separators=(",", ":")))
        out_m.append(m)
    last_of_first = max(i for i, m in enumerate(out_m) if m["task_id"] == test_ids[0])
    out_m[last_of_first].update(status="runtime_error", run_secs=[], error="injected by the test fixture")
    _write_xz(dst / "database_workload.json.xz", out_w)
    _write_xz(dst / "database_tuning_record.json.xz", out_r)
    _write_xz(dst / "measurements.jsonl.xz", [json.dumps(m, separators=(",", ":")) for m in out_m])
    (dst / "tasks.json").write_text(json.dumps(chosen, indent=0) + "\n")
    (dst / "sampling.json").write_text("{}\n")
    train_ids = [t["task_id"] for t in chosen[n_test:n_test + n_train]]
    val_ids = [t["task_id"] for t in chosen[n_test + n_train:]]
    splits = {"train": train_ids, "val": val_ids, "test": test_ids}
    for split, ids in splits.items():
        (dst / "splits" / f"{split}.txt").write_text("".join(f"{t}\n" for t in sorted(ids)))
    ok_count = lambda ids: sum(m["status"] == "ok" and m["task_id"] in ids for m in out_m)
    manifest.suite = name
    manifest.splits = {s: SplitCounts(len(ids), ok_count(ids)) for s, ids in splits.items()}
    manifest.counts = {"tasks": len(chosen), "records": ok_count(test_ids + train_ids + val_ids), "failed": 1,
                       "failed_runtime_error": 1}
    manifest.files = {p.relative_to(dst).as_posix(): sha256_file(p) for p in sorted(dst.rglob("*")) if p.is_file()}
    manifest.save(dst)
    return dst


def _source_suite() -> Path:
    src = next((p for p in SOURCE_SUITES if (p / "manifest.json").exists()), None)
    if src is None:
        pytest.skip("no measured suite to cut a test suite from (suites/cpu-epyc2 is missing)")
    return src


@pytest.fixture(scope="session")
def small_suite(tmp_path_factory: pytest.TempPathFactory):
    """A Suite with train and test splits, built once per session from the first real suite found."""
    from tircost_bench.suite.loader import Suite

    root = tmp_path_factory.mktemp("suites")
    return Suite(build_small_suite(_source_suite(), root / "tiny"))


@pytest.fixture(scope="session")
def mini_suite(tmp_path_factory: pytest.TempPathFactory):
    """A loaded (load_suite-memoized) Suite "mini" of MINI_SPLITS tasks cut from the shipped suite.

    Tests that need Program objects of their own (memo-free) build `Suite(mini_suite.path)` from it.
    """
    from tircost_bench.suite.loader import load_suite

    root = tmp_path_factory.mktemp("suites")
    path = build_small_suite(_source_suite(), root / "mini", name="mini", op_families=MINI_OP_FAMILIES,
                             **MINI_SPLITS)
    return load_suite(str(path))


@pytest.fixture(scope="session")
def _mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow database: creating one costs ~8 s, copying it milliseconds."""
    from mlflow.tracking import MlflowClient

    db = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return db


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _mlflow_template: Path) -> str:
    """An isolated sqlite MLflow store and leaderboard folder for one test."""
    shutil.copy(_mlflow_template, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("TIRCOST_LEADERBOARD_DIR", str(tmp_path / "leaderboard"))
    return uri


BASELINES = PROJECT_ROOT / "baselines"


def make_submission(folder: Path, name: str, predict_body: str, version: str = "1.0") -> Path:
    """A minimal untrained submission whose predict() is `predict_body` (sees `programs`, `np`, `self`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "submission.json").write_text(json.dumps({
        "name": name, "version": version, "authors": ["tests"], "description": "test submission",
        "entry_point": "model:Model"}))
    body = textwrap.indent(textwrap.dedent(predict_body).strip(), " " * 8)
    (folder / "model.py").write_text(
        "import numpy as np\nfrom tircost_bench.predictors.interface import Predictor\n\n"
        "class Model(Predictor):\n"
        "    trainable = property(lambda self: False)\n"
        "    def fit(self, train, valid): pass\n"
        "    def save(self, d): pass\n"
        "    def load(self, d): pass\n"
        "    def predict(self, programs):\n" + body + "\n")
    return folder



@pytest.fixture
def submission_factory(tmp_path: Path):
    """make_submission under this test's tmp_path: factory(name, predict_body, version="1.0") -> folder."""
    return lambda name, body, version="1.0": make_submission(tmp_path / "subs" / f"{name}-{version}", name, body,
                                                              version)


def one_task_and_rest(train, valid):  # type: ignore[no-untyped-def]
    """(the first train task, the other train tasks + valid): fit on one task, tune on tasks it has not seen."""
    import numpy as np

    from tircost_bench.suite.loader import LabeledPrograms

    m = train.task_ids == min(train.task_ids)
    pick = [p for p, k in zip(train.programs, m) if k]
    rest = [p for p, k in zip(train.programs, m) if not k] + list(valid.programs)
    return (LabeledPrograms(pick, train.latencies[m]),
            LabeledPrograms(rest, np.concatenate([train.latencies[~m], valid.latencies])))


def mean_pairwise(predicted, split) -> float:  # type: ignore[no-untyped-def]
    """Mean over the split's tasks of the pairwise accuracy of predicted latencies."""
    import numpy as np

    from tircost_bench.metrics import pairwise_accuracy

    t = split.task_ids
    return float(np.mean([pairwise_accuracy(split.latencies[t == k], predicted[t == k]) for k in set(t)]))
