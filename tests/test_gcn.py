"""gcn_topk on the mini suite: embeddings from given graphs only, fit/predict/save/load round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import test_ast_graph as shared
import torch
from conftest import mean_pairwise, one_task_and_rest

from tircost_bench.predictors.submission import load_submission
from tircost_bench.representations import ast_graph as ag
from tircost_bench.representations import graph_store as gs
from tircost_bench.representations.embeddings import EmbeddingTable, fit_embeddings, random_walks
from tircost_bench.representations.features import PROGRAM_WIDTH

cache, fresh = shared.cache, shared.fresh  # shared fixtures (mini_suite comes from conftest.py)
SUBMISSION = Path(__file__).resolve().parents[1] / "submissions" / "gcn_topk"
SMALL = {"hidden": 16, "max_epochs": 2, "graph_workers": 1, "threads": 1}


def _graphs_by_task(suite) -> dict[str, list[ag.ProgramGraph]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[ag.ProgramGraph]] = {}
    for p in suite.programs_of("train"):
        out.setdefault(p.task_id, []).append(gs.program_graph(p))
    return out


@pytest.mark.parametrize("kind", ["word2vec", "fasttext"])
def test_embeddings_only_from_given_graphs(mini_suite, cache: Path, kind: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    by_task = _graphs_by_task(mini_suite)
    tasks = sorted(by_task, key=lambda t: -len({tok for g in by_task[t] for tok in g.vocab}))
    train = by_task[tasks[-1]]  # the task with the fewest distinct tokens
    table = fit_embeddings(train, kind=kind, dim=8, seed=3)
    assert set(table.tokens) == {t for g in train for t in g.vocab}
    assert table.vectors.shape == (len(table.tokens) + 1, 8) and np.isfinite(table.vectors).all()
    unseen = {t for t in by_task[tasks[0]][0].vocab} - set(table.tokens)
    rows = table.index_of(sorted(unseen) + ["NoSuchNode:x"])
    assert rows[-1] == table.oov_index and (rows < len(table.vectors)).all()
    again = fit_embeddings(train, kind=kind, dim=8, seed=3)
    np.testing.assert_array_equal(table.vectors, again.vectors)  # seeded, process-independent
    table.save(tmp_path)
    loaded = EmbeddingTable.load(tmp_path)
    assert loaded.tokens == table.tokens and np.array_equal(loaded.vectors, table.vectors)
    walks = random_walks(train, walks_per_graph=2, walk_length=5, seed=0)
    assert len(walks) == 2 * len(train) and all(len(w) == 5 for w in walks)


@pytest.mark.parametrize(("conv", "program_features"), [("graph", False), ("gcn", False), ("graph", True)])
def test_fit_predict_save_load(mini_suite, cache: Path, tmp_path: Path, conv: str,  # type: ignore[no-untyped-def]
                               program_features: bool) -> None:
    sub = load_submission(SUBMISSION)
    model = sub.predictor_class()(seed=1, **{**sub.meta.parameters, **SMALL, "conv": conv,
                                              "program_features": program_features})
    model.fit(mini_suite.labeled("train"), mini_suite.labeled("val"))
    programs = [fresh(p) for p in mini_suite.programs_of("train")]
    pred = model.predict(programs)
    assert pred.dtype == np.float64 and pred.shape == (len(programs),)
    assert np.isfinite(pred).all() and (pred > 0).all()
    ckpt = tmp_path / "ckpt"
    model.save(ckpt)
    assert (ckpt / "embedding.png").stat().st_size > 0 and (ckpt / "embedding.npy").exists()
    other = sub.predictor_class()(seed=1, **{**sub.meta.parameters, **SMALL, "graph_workers": 2})
    other.load(ckpt)
    assert other.config.conv == conv  # the model's settings come from the checkpoint,
    assert other.config.graph_workers == 2  # the machine's from the submission
    np.testing.assert_array_equal(other.predict([fresh(p) for p in programs]), pred)
    networks = getattr(other.model, "members", [other.model])  # the submission's default is an ensemble
    assert all(m.n_prog == (PROGRAM_WIDTH if program_features else 0) for m in networks)
    if program_features:  # the summary is an input: the same graphs with other summaries predict otherwise
        from gcn_topk_model import collate

        packed = other._pack(programs, other._graphs(programs))
        shuffled = [type(q)(q.tok, q.num, q.edges, packed[-1 - i].prog) for i, q in enumerate(packed)]
        with torch.no_grad():
            assert not np.allclose(other.model(collate(packed)).numpy(), other.model(collate(shuffled)).numpy())
        config = json.loads((ckpt / "config.json").read_text())
        assert len(config["program_mean"]) == PROGRAM_WIDTH and min(config["program_std"]) >= 1e-3


def test_unknown_parameter_is_refused() -> None:
    sub = load_submission(SUBMISSION)
    with pytest.raises(ValueError, match="unknown parameters"):
        sub.predictor_class()(seed=0, hiden=3)


def test_update_learns_the_tuned_task(mini_suite, cache: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Search's online hook: fine-tuning on measurements of tasks the model never saw makes it rank them
    better; load() forgets the online history and restores the trained weights."""
    one, tuned = one_task_and_rest(mini_suite.labeled("train"), mini_suite.labeled("val"))
    sub = load_submission(SUBMISSION)
    model = sub.predictor_class()(seed=1, **{**sub.meta.parameters, **SMALL, "online_steps": 40})
    model.fit(one, mini_suite.labeled("val"))
    model.save(tmp_path)
    programs = [fresh(p) for p in tuned.programs]
    before = model.predict(programs)
    model.update(programs, tuned.latencies)
    acc_before, acc_after = mean_pairwise(before, tuned), mean_pairwise(model.predict(programs), tuned)
    assert acc_after >= acc_before + 0.2 and acc_after >= 0.8, (acc_before, acc_after)
    model.load(tmp_path)
    assert model.config.online_steps == 40 and model._online == []
    np.testing.assert_array_equal(model.predict(programs), before)


@pytest.mark.parametrize("combine", ["mean", "median"])
def test_ensemble_predicts_the_mean_or_median_of_its_members(mini_suite, cache: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                             combine: str) -> None:
    """members: 3 trains three networks from their own seeds; the checkpoint holds them all (as gcn_collect.py
    writes members trained on the GPU), and the prediction is exp of the mean or median of their z; `combine`
    is the submission's rule, not the checkpoint's."""
    sub = load_submission(SUBMISSION)
    model = sub.predictor_class()(seed=1, **{**sub.meta.parameters, **SMALL, "members": 3, "combine": combine})
    model.fit(mini_suite.labeled("train"), mini_suite.labeled("val"))
    assert sorted({h["member"] for h in model.history}) == [0, 1, 2]
    members = list(model.model.members)
    assert len(members) == 3
    w0, w1 = (m.head[-1].weight.detach() for m in members[:2])
    assert not np.allclose(w0.numpy(), w1.numpy())  # distinct networks, not one thrice
    programs = [fresh(p) for p in mini_suite.programs_of("train")]
    from gcn_topk_model import collate  # the submission's module, importable once the submission is loaded

    batch = collate(model._pack(programs, model._graphs(programs)))
    with torch.no_grad():
        zs = np.array([m.eval()(batch).numpy() for m in members])
    pred = model.predict(programs)
    np.testing.assert_allclose(np.log(pred), getattr(np, combine)(zs, axis=0), rtol=0, atol=1e-5)
    model.save(tmp_path)
    other = sub.predictor_class()(seed=1, **{**sub.meta.parameters, **SMALL, "combine": combine})
    other.load(tmp_path)
    assert other.config.members == 3
    np.testing.assert_array_equal(other.predict([fresh(p) for p in programs]), pred)
    if combine == "median":  # the same checkpoint under the mean rule: another prediction
        mean_rule = sub.predictor_class()(seed=1, **{**sub.meta.parameters, **SMALL, "combine": "mean"})
        mean_rule.load(tmp_path)
        np.testing.assert_allclose(np.log(mean_rule.predict(programs)), zs.mean(0), rtol=0, atol=1e-5)
