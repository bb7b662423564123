"""The search protocol's pieces without TVM: typed results and their migration, resume, run order, and the
comparison with stock (first-point case, latency at stock's final time, mean latency)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.search.assemble import ModelRun, resumable_runs, resume_warning
from tircost_bench.search.curves import (
    Curve,
    Event,
    converged,
    mean_latency,
    network_trials,
    tail_drop,
    value_at,
    versus_stock,
)
from tircost_bench.search.publish import search_rows, search_summary_markdown, summary_rows
from tircost_bench.search.result import ModelResult, SearchResult, SearchResultError
from tircost_bench.search.run import SearchConfig, run_order

SHIPPED = sorted((PROJECT_ROOT / "leaderboard" / "search-results").rglob("*.json"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(PROJECT_ROOT / "leaderboard" / "search-results")))
def test_committed_results_load_and_publish(path: Path) -> None:
    res = SearchResult.load(path)
    assert res.schema == 2 and res.models and res.networks
    assert all(isinstance(c, Curve) for net in res.networks.values() for c in net.curves.values())
    assert SearchResult.from_json(res.to_json()) == res
    assert f"# Search: {res.suite['name']}" in search_summary_markdown([res])


def test_unknown_schema_and_foreign_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"schema": 9, "networks": {}}')
    (tmp_path / "b.json").write_text('{"rows": []}')
    with pytest.raises(SearchResultError, match="schema 9"):
        SearchResult.load(tmp_path / "a.json")
    with pytest.raises(SearchResultError, match="not a search results file"):
        SearchResult.load(tmp_path / "b.json")


def test_versus_stock_separates_a_first_point_win_from_a_speed_up() -> None:
    stock = Curve([10.0, 20.0, 40.0], [8, 16, 24], [5.0, 4.0, 3.0])
    faster = Curve([12.0, 25.0], [8, 16], [4.5, 3.0])  # reaches 3.0 at 25 s, stock at 40 s
    better_at_once = Curve([30.0, 50.0], [8, 16], [2.9, 2.5])  # its first point is already below 3.0
    v = versus_stock(faster, stock)
    assert v["speed_up"] == pytest.approx(40.0 / 25.0) and not v["first_point_better"]
    assert v["latency_at_stock_final_time"] == 3.0
    w = versus_stock(better_at_once, stock)
    assert w["first_point_better"] and w["speed_up"] is None and w["seconds_to_stock_final"] == 30.0
    assert w["latency_at_stock_final_time"] == 2.9
    assert value_at(stock, 5.0) is None and value_at(stock, 20.0) == 4.0
    assert mean_latency(stock, 12.0, 40.0) == pytest.approx((5.0 * 8 + 4.0 * 20) / 28)
    # the window both are defined: [12, 25]; stock 5.0 for 8 s and 4.0 for 5 s, faster 4.5 throughout
    assert v["mean_latency_ratio"] == pytest.approx(4.5 * 13 / (5.0 * 8 + 4.0 * 5))


def test_converged_means_flat_over_the_last_third_of_the_trials() -> None:
    flat = Curve([10.0, 20.0, 30.0, 40.0], [16, 32, 48, 64], [5.0, 3.0, 3.0, 2.99])  # 3.0 at trial 32 of 64
    falling = Curve([10.0, 20.0, 30.0, 40.0], [16, 32, 48, 64], [5.0, 3.0, 2.8, 2.5])
    assert converged(flat) is True and converged(falling) is False
    assert tail_drop(flat) == pytest.approx(3.0 / 2.99 - 1) and tail_drop(falling) == pytest.approx(3.0 / 2.5 - 1)
    assert tail_drop(Curve([40.0], [64], [2.0])) is None
    assert converged(Curve([40.0], [64], [2.0])) is False  # defined only in the last third: nothing to judge
    assert converged(Curve()) is None
    assert versus_stock(flat, falling)["stock_converged"] is False
    assert versus_stock(flat, falling)["stock_tail_drop"] == pytest.approx(0.2)
    assert versus_stock(falling, flat)["stock_converged"] is True
    # a curve that stops early (its tasks got no more batches) is judged over the search's trials
    one_batch = Curve([45.0], [32], [0.6])
    assert converged(one_batch) is False and converged(one_batch, end_trials=256) is True


def test_network_trials_counts_the_batches_of_its_tasks() -> None:
    events = [[1.0, 16, "a", 1.0], [2.0, 32, "b", 2.0], [3.0, 48, "c", 3.0], [4.0, 64, "c", 2.5],
              [5.0, 72, "a", 0.9]]  # the last batch of 8
    assert network_trials(events, {"a": 1.0, "b": 2.0}) == 16 + 16 + 8
    assert network_trials(events, {"c": 1.0}) == 32 and network_trials(events, {"x": 1.0}) == 0


def test_run_order_rotates_with_the_seed() -> None:
    models = ["ms-xgb", "xgboost", "gcn_topk"]
    firsts = {run_order(models, SearchConfig(seed=s))[0] for s in range(3)}
    assert firsts == set(models)
    assert run_order(models, SearchConfig(seed=2, order="fixed")) == models


H200 = {"gpu": "NVIDIA H200", "cpu": "Intel(R) Xeon(R) Processor", "cores": 16, "driver": "580.159.04"}


def _result(complete: bool, trials: int = 32) -> SearchResult:
    events = [[5.0, 16, "t", 2.0], [9.0, 32, "t", 1.5]]
    done = ModelResult("reference", 9.0, trials, 9.0 / trials, {"t": 1.5}, True, 0, {"build": 1.0}, events)
    partial = ModelResult("submission", 5.0, 16, 5.0 / 16, {"t": 2.0}, False, 1, {}, events[:1])
    return SearchResult({"name": "s", "version": "1", "sha256": "abc"}, {"name": "m", "version": "0.1"},
                        SearchConfig(budget=32, per_iter=16).to_json(), "ms-xgb", {}, H200, "0.27", "c0ffee", "3.11",
                        [], {"ms-xgb": done, "m": partial}, {}, complete=complete)


def test_resume_keeps_finished_models_of_the_same_search_only(tmp_path: Path) -> None:
    path = _result(False).write(tmp_path / "search_results.json")
    sub = SimpleNamespace(name="m", meta=SimpleNamespace(version="0.1"))
    suite = SimpleNamespace(sha256="abc")
    config = SearchConfig(budget=32, per_iter=16)
    kept = resumable_runs(path, sub, suite, config, {**H200, "driver": "590.1"})  # another driver: same card
    assert list(kept) == ["ms-xgb"] and kept["ms-xgb"].complete
    assert kept["ms-xgb"].events == [Event(5.0, 16, "t", 2.0), Event(9.0, 32, "t", 1.5)]
    assert resumable_runs(path, sub, suite, SearchConfig(budget=64, per_iter=16), H200) == {}  # another budget
    assert resumable_runs(path, sub, suite, config, {**H200, "gpu": "NVIDIA H100 80GB HBM3"}) == {}  # another card
    assert resumable_runs(path, sub, suite, config, {**H200, "cores": 32}) == {}  # another machine size
    assert resumable_runs(tmp_path / "none.json", sub, suite, SearchConfig(), H200) == {}
    assert isinstance(kept["ms-xgb"], ModelRun)
    # the result records one harness commit: models kept from another commit are named in a warning
    assert resume_warning(path, kept, "c0ffee") is None
    note = resume_warning(path, kept, "beef00")
    assert note is not None and "ms-xgb" in note and "c0ffee" in note and "beef00" in note


def test_incomplete_runs_are_listed_but_left_out_of_the_summary() -> None:
    from tircost_bench.search.result import NetworkResult

    res = _result(False)
    stock = Curve([9.0], [32], [1.5])
    res = replace(res, networks={"n": NetworkResult({"t": 1.0}, {"ms-xgb": stock, "m": Curve([5.0], [16], [2.0])},
                                                     {})})
    rows = search_rows([res])
    assert {r["model"]: r["complete"] for r in rows} == {"ms-xgb": True, "m 0.1": False}
    assert [r["model"] for r in summary_rows(rows)] == ["ms-xgb"]


def test_a_finished_model_is_not_compared_with_an_interrupted_stock_run() -> None:
    """Stock cut by a lost machine stops early at a worse latency: the submission must not be scored against it."""
    from tircost_bench.search.publish import overall_rows
    from tircost_bench.search.result import NetworkResult
    from tircost_bench.search.seed_curves import relative_curves

    res = _result(False)
    models = {"ms-xgb": replace(res.models["ms-xgb"], complete=False), "m": replace(res.models["m"], complete=True)}
    res = replace(res, models=models, networks={"n": NetworkResult(
        {"t": 1.0}, {"ms-xgb": Curve([9.0], [32], [1.5]), "m": Curve([5.0], [16], [1.0])}, {})})
    assert res.finished_reference("n") is None
    row = next(r for r in search_rows([res]) if r["model"] == "m 0.1")
    assert row["complete"] and row["stock_final_latency_ms"] is None and row["time_ratio"] is None
    assert relative_curves([res]) == {}
    assert overall_rows(search_rows([res])) == []  # nothing to compare with: not a run of the overall table
    done = replace(res, models={**models, "ms-xgb": replace(models["ms-xgb"], complete=True)})
    assert done.finished_reference("n") is not None
    assert next(r for r in search_rows([done]) if r["model"] == "m 0.1")["stock_final_latency_ms"] is not None


def _seed_result(seed: int, model_curve: Curve, stock_curve: Curve) -> SearchResult:
    from tircost_bench.search.result import NetworkResult

    base = _result(True)
    models = {"ms-xgb": replace(base.models["ms-xgb"], complete=True),
              "m": replace(base.models["m"], complete=True)}
    config = {**base.config, "seed": seed}
    return replace(base, config=config, models=models,
                   networks={"n": NetworkResult({"t": 1.0}, {"ms-xgb": stock_curve, "m": model_curve}, {})})


def test_overall_time_ratio_and_seed_bands(tmp_path: Path) -> None:
    from tircost_bench.search.publish import overall_rows
    from tircost_bench.search.seed_curves import plot_seed_bands, relative_curves

    stock = Curve([10.0, 40.0], [16, 32], [2.0, 1.0])  # reaches its final (1.0) at 40 s
    fast = _seed_result(0, Curve([8.0, 10.0], [16, 32], [1.5, 0.9]), stock)  # reaches 1.0 at 10 s: ratio 0.25
    never = _seed_result(1, Curve([8.0, 30.0], [16, 32], [1.5, 1.2]), stock)  # never reaches 1.0
    rows = search_rows([fast, never])
    assert {r["seed"]: r["time_ratio"] for r in rows if r["kind"] == "submission"} == {0: 0.25, 1: None}
    (row,) = overall_rows(rows)
    assert row["reached_stock_final"] == "1/2" and row["mean_time_ratio"] == 0.25
    assert "## Overall" in search_summary_markdown([fast, never])
    rel = relative_curves([fast, never])
    assert sorted(rel["n"]) == ["m 0.1", "ms-xgb"] and len(rel["n"]["m 0.1"]) == 2
    assert len(rel["n"]["ms-xgb"]) == 2  # one stock run a seed
    (png,) = plot_seed_bands([fast, never], tmp_path)
    assert png.stat().st_size > 0


def test_timing_keeps_networks_searched_apart() -> None:
    """Two one-network searches of the same seed and budget are two timing rows, not one overwriting the other
    (a convolution's trial costs several times a matmul's), and a stock run shared by two results counts once."""
    from tircost_bench.search.publish import timing_rows

    stock = Curve([10.0, 40.0], [16, 32], [2.0, 1.0])
    matmul = _seed_result(0, Curve([8.0, 10.0], [16, 32], [1.5, 0.9]), stock)
    slow = replace(matmul.models["ms-xgb"], timing={"build": 64.0})
    conv = replace(matmul, networks={"conv": matmul.networks["n"]}, models={**matmul.models, "ms-xgb": slow})
    rows = timing_rows([matmul, matmul, conv])
    stock_rows = {r["network"]: r for r in rows if r["model"] == "ms-xgb"}
    assert set(stock_rows) == {"n", "conv"} and all(r["runs"] == 1 for r in stock_rows.values())
    assert (stock_rows["n"]["build"], stock_rows["conv"]["build"]) == (round(1.0 / 32, 4), 2.0)


def test_a_page_compares_runs_of_one_card(tmp_path: Path) -> None:
    """Searches timed on two cards never share a page: publishing them together is refused, each card gets
    a page of its own name."""
    from tircost_bench.search.publish import publish_search

    h200, h100 = _result(True), replace(_result(True), platform={**H200, "gpu": "NVIDIA H100 80GB HBM3"})
    with pytest.raises(ValueError, match="several cards"):
        search_summary_markdown([h200, h100])
    md, js = publish_search([h100], tmp_path, name="s-search-h100")
    assert (md.name, js.name) == ("s-search-h100.md", "s-search-h100.json")
    assert "Measured on: NVIDIA H100 80GB HBM3;" in md.read_text()


def test_per_network_runs_one_search_a_network(mini_suite, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tircost_bench.search.protocol import run_protocol

    nets = sorted({u.network for t in mini_suite.tasks.values() for u in t.uses})[:2]
    assert len(nets) == 2, "the mini suite should hold tasks of two networks"
    calls: list[tuple[set[str], list[str], int]] = []

    def search(submissions, suite, config, tasks, out_dirs, resume):  # type: ignore[no-untyped-def]
        calls.append(({label for t in tasks for label in t.weights}, [d.name for d in out_dirs], config.seed))
        return []

    run_protocol(str(mini_suite.path), ["submissions/xgboost"], nets, [0, 1], 8, per_network=True, root=tmp_path,
                 search=search)
    assert calls == [({net}, [f"xgboost-{net}-seed{seed}"], seed) for seed in (0, 1) for net in nets]
    calls.clear()
    run_protocol(str(mini_suite.path), ["submissions/xgboost"], nets, [0], 8, root=tmp_path, search=search)
    assert calls == [(set(nets), ["xgboost-seed0"], 0)]
