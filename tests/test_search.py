"""End-to-end search (issue 7): curve math on hand-made events, and one real tiny search with all models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tircost_bench.evaluation.results import git_commit
from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.search import default_out_dir
from tircost_bench.search.curves import (
    Curve,
    Event,
    curve_metrics,
    network_curve,
    time_to_reference,
    trials_to_reference,
)
from tircost_bench.search.publish import publish_search, search_summary_markdown
from tircost_bench.search.result import SearchResult


def test_network_curve_waits_for_every_task_and_never_rises():
    events = [Event(1.0, 8, "a", 2.0), Event(2.0, 16, "c", 9.0), Event(3.0, 24, "b", 1.0),
              Event(4.0, 32, "a", 2.5),  # a worse batch: the best so far stays 2.0
              Event(5.0, 40, "b", math.inf), Event(6.0, 48, "a", 1.5)]
    curve = network_curve(events, {"a": 2, "b": 1})
    assert curve.seconds[0] == 3.0 and curve.trials[0] == 24  # undefined until b is measured
    assert curve.latency[0] == pytest.approx(2 * 2.0 + 1.0)
    assert curve.latency[-1] == pytest.approx(2 * 1.5 + 1.0)
    assert all(x >= y for x, y in zip(curve.latency, curve.latency[1:]))
    assert network_curve(events[:2], {"a": 1, "b": 1}).latency == []


def test_time_to_reference_semantics():
    stock = Curve([10.0, 20.0, 30.0, 40.0], [8, 16, 24, 32], [5.0, 4.0, 3.0, 3.0])
    fast = Curve([5.0, 8.0, 12.0], [8, 16, 24], [4.0, 2.9, 2.5])
    slow = Curve([10.0, 50.0], [8, 16], [6.0, 3.5])
    assert time_to_reference(stock, 3.0) == 30.0  # its own final latency: first reached at 30 s, not 40 s
    assert time_to_reference(fast, 3.0) == 8.0 and trials_to_reference(fast, 3.0) == 16
    assert time_to_reference(slow, 3.0) is None and time_to_reference(Curve(), 3.0) is None
    assert time_to_reference(fast, None) is None
    m = curve_metrics({"stock": stock, "fast": fast, "slow": slow, "empty": Curve()}, "stock")
    assert m["stock"]["speed_up"] == 1.0 and m["stock"]["reference_latency"] == 3.0
    assert m["fast"]["speed_up"] == pytest.approx(30.0 / 8.0)
    assert m["fast"]["final_latency"] == 2.5
    assert m["slow"]["speed_up"] is None and m["empty"]["final_latency"] is None
    assert curve_metrics({"fast": fast}, None)["fast"]["time_to_reference"] is None


# The search runs in a child process that stubs TVM's CUDA/ROCm/Arm/Hexagon/RISC-V tensor intrinsics:
# importing them is 2/3 of the ~20-120 s `import tvm.s_tir.tensor_intrin` that TuneContext does (notes G1),
# and an x86 llvm search never uses them. Production searches import them all (outside the clock).
CHILD = r"""
import json, sys, types
for name in ("cuda", "arm_cpu", "rocm", "hexagon", "riscv_cpu"):
    sys.modules["tvm.s_tir.tensor_intrin." + name] = types.ModuleType(name)
import tvm
from tvm import te
from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.search import SearchConfig, SearchTask, run_search, save_all
from tircost_bench.suite.loader import Suite

suite_dir, out = sys.argv[1], sys.argv[2]
n = 64
a, b = te.placeholder((n, n), name="A"), te.placeholder((n, n), name="B")
k = te.reduce_axis((0, n), name="k")
c = te.compute((n, n), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")
tasks = [SearchTask("matmul64", tvm.IRModule({"main": te.create_prim_func([a, b, c])}), {"net-a": 2.0})]
config = SearchConfig(budget=16, per_iter=8, seed=0, population=32, workers=2)
results = run_search(PROJECT_ROOT / "baselines" / "random", Suite(suite_dir), config, tasks=tasks)
saved = save_all(results, __import__("pathlib").Path(out))  # run_search wrote nothing: no out_dir
print("RUN_ID", saved["mlflow_run_id"])
"""


def test_results_are_saved_without_matplotlib(tmp_path, monkeypatch):
    """A machine without matplotlib (the GPU machine) still gets its results JSON, without curves."""
    import sys

    from tircost_bench.search.output import save_all

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    results = SearchResult({"name": "s", "version": "1", "sha256": "x"}, {"name": "m", "version": "1"},
                           {"seed": 0}, None, {}, {}, "0.27", "abc", "3.11", [], {}, {})
    saved = save_all(results, tmp_path / "out", track=False)
    assert saved["plots"] == [] and SearchResult.load(saved["results"]) == results


def test_real_tiny_search(small_suite, mlflow_store, tmp_path):
    """One 64^3 matmul, 16 trials in batches of 8, with baselines/random and both stock references."""
    import subprocess
    import sys

    from tircost_bench.search.output import EXPERIMENT

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(small_suite.path), str(out)],
                          capture_output=True, check=False, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = SearchResult.load(out / "search_results.json")
    # stderr is a pipe here, not a terminal: progress comes as plain lines a log file keeps
    assert "ms-xgb: 16/16 trials" in proc.stderr and "random: 8/16 trials" in proc.stderr

    assert set(results.models) == {"random", "ms-xgb", "ms-random"} and results.complete
    # seed 0: the references first; the order is recorded
    assert [m for m, _ in sorted(results.models.items(), key=lambda kv: kv[1].order)] == ["ms-xgb", "ms-random",
                                                                                          "random"]
    # where `tircost-bench search` writes without --out
    assert default_out_dir(results) == Path("search-results") / small_suite.name / "random-seed0"
    assert results.reference_model == "ms-xgb"
    assert results.harness_commit == git_commit(PROJECT_ROOT)  # provenance: which harness measured it
    assert results.submission["folder"] == "baselines/random"  # no machine-local path
    assert results.submission["warmup_builds"] >= 1  # the compile path was warmed before any clock
    for name, model in results.models.items():
        assert model.trials == 16 and model.complete, name
        assert model.seconds_per_trial > 0
        assert sum(model.timing.values()) == pytest.approx(model.search_seconds)
        assert model.timing["build"] > 0 and model.timing["predictor"] > 0, (name, model.timing)
        curve = results.networks["net-a"].curves[name]
        assert curve.trials == sorted(curve.trials) and curve.trials[-1] == 16
        assert curve.latency, name
        assert all(x >= y for x, y in zip(curve.latency, curve.latency[1:])), name
        best = model.task_best_latency["matmul64"]
        assert curve.latency[-1] == pytest.approx(2.0 * best)
    assert results.models["random"].timing["programs"] > 0  # our adapter converts; stock reads candidates
    assert results.networks["net-a"].metrics["ms-xgb"]["speed_up"] == 1.0
    assert (out / "curves-net-a.png").stat().st_size > 0

    from mlflow.tracking import MlflowClient

    run_id = proc.stdout.split("RUN_ID")[1].split()[0]
    mlc = MlflowClient(tracking_uri=mlflow_store)
    run = mlc.get_run(run_id)
    assert run.info.experiment_id == mlc.get_experiment_by_name(EXPERIMENT.format(suite=small_suite.name)).experiment_id
    assert run.data.metrics["random/trials"] == 16.0

    md1 = search_summary_markdown(results)
    assert md1 == search_summary_markdown(SearchResult.from_json(results.to_json()))  # deterministic
    run = f"{results.name} {results.submission['version']}"
    assert f"| net-a | {run} | ms-xgb | reference | 0 | 16 |" in md1
    assert "| ms-xgb | 1 |" in md1  # the timing table
    md, js = publish_search([results], tmp_path / "lb")
    assert md.name == f"{small_suite.name}-search.md" and md.read_text() == md1
    assert len(json.loads(js.read_text())["rows"]) == 3

    from typer.testing import CliRunner

    from tircost_bench.cli import app

    results.write(tmp_path / "r.json")
    got = CliRunner(env={"TIRCOST_LEADERBOARD_DIR": str(tmp_path / "lb2")}).invoke(
        app, ["publish-search", str(tmp_path / "r.json")])
    assert got.exit_code == 0, got.output
    assert (tmp_path / "lb2" / md.name).read_text() == md1


def test_publish_search_command_refuses_missing_results(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tircost_bench.cli import app

    monkeypatch.setenv("TIRCOST_LEADERBOARD_DIR", str(tmp_path / "lb"))
    got = CliRunner().invoke(app, ["publish-search", str(tmp_path / "nope.json")])
    assert got.exit_code == 1 and "no such results file" in got.output and "tircost-bench search" in got.output
    assert not (tmp_path / "lb").exists()  # nothing written


def test_search_programs_carry_plain_json_targets():
    """Target.export() gives TVM FFI containers; Programs made from search candidates must hold plain JSON
    (the graph cache key of gcn_topk json-dumps the target)."""
    import tvm

    from tircost_bench.collect.targets import cpu_target
    from tircost_bench.predictors.pycostmodel import plain_json

    exported = tvm.target.Target(cpu_target()).export()
    with pytest.raises(TypeError):
        json.dumps(exported)
    plain = plain_json(exported)
    assert json.loads(json.dumps(plain)) == plain and plain["kind"] == "llvm" and isinstance(plain["keys"], list)
