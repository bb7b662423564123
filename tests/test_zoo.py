"""The network zoo and task extraction, on real models and real TVM (no mocks)."""

from __future__ import annotations

import time

import pytest
import torch

from tircost_bench.collect.zoo import (
    HELD_OUT_NETWORKS,
    NETWORKS,
    get_network,
    network_id,
    parse_network_id,
)

TARGET = {"kind": "llvm", "mcpu": "znver3", "num-cores": 2}


def _expected_shape(name: str, batch: int) -> tuple[int, ...]:
    if name == "bert_tiny":
        return (batch, 128)
    if name == "bert_base":
        return (batch, 768)
    if name == "gpt2":
        return (batch, 128, 50257)
    if name == "dcgan":
        return (batch, 3, 64, 64)
    if name == "r3d_18":
        return (batch, 400)
    return (batch, 1000)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_network_builds_and_runs(name: str) -> None:
    spec = NETWORKS[name]
    assert spec.name == name and spec.batch_sizes
    batch = min(spec.batch_sizes)
    model, inputs = spec.build(batch)
    assert not model.training
    with torch.no_grad():
        out = model(*inputs)
    assert tuple(out.shape) == _expected_shape(name, batch)
    assert torch.isfinite(out).all()


def test_transformers_take_token_ids() -> None:
    for name in ("bert_tiny", "bert_base", "gpt2"):
        _, (ids,) = get_network(name).build(1)
        assert ids.dtype == torch.int64 and ids.shape == (1, 128)


def test_registry() -> None:
    assert len(NETWORKS) >= 12
    assert set(HELD_OUT_NETWORKS) <= set(NETWORKS)
    assert network_id("resnet_50", 8) == "resnet_50-b8"
    for name in NETWORKS:
        assert parse_network_id(network_id(name, 8)) == (name, 8)
    with pytest.raises(ValueError):
        parse_network_id("resnet_50")


def test_get_network_did_you_mean() -> None:
    with pytest.raises(ValueError, match=r"did you mean .*resnet_50"):
        get_network("resnet50")
    with pytest.raises(ValueError, match=r"did you mean .*mobilenet_v2"):
        get_network("mobilenet_v3")


# ---------------------------------------------------------------------------------------------------
# Extraction (slow: a few seconds per network on 2 cores)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("extract-cache")


@pytest.mark.slow
def test_extract_small_networks(cache_dir) -> None:
    import tvm_ffi

    from tircost_bench.collect.tasks import build_task_table

    ids = ["bert_tiny-b1", "dcgan-b1"]
    stats: dict = {}
    t0 = time.perf_counter()
    table = build_task_table(ids, TARGET, cache_dir, progress=False, stats=stats)
    first = time.perf_counter() - t0
    assert not any(s["cached"] for s in stats.values())
    assert len(table) >= 10
    for t in table:
        assert t.info.flops > 0 and t.info.bytes > 0
        assert t.info.task_id == f"{t.info.name}-{int(t.info.workload_hash) & 0xFFFFFFFF:08x}"
        assert t.info.workload_hash == str(tvm_ffi.structural_hash(t.mod))
        assert t.info.uses and all(u.weight >= 1 for u in t.info.uses)
    fams = {t.info.op_family for t in table}
    assert {"dense_matmul", "conv2d_transpose", "norm", "softmax"} <= fams
    # trivial data movement is gone
    assert not any(t.info.name.startswith(("reshape", "transpose", "take")) for t in table)
    # BERT-tiny: Q/K/V/O projections of both layers are one task of weight 8
    qkvo = [t for t in table if t.info.op_family == "dense_matmul" and t.info.weight == 8]
    assert len(qkvo) == 1 and qkvo[0].info.uses[0].network == "bert_tiny-b1"

    # second run comes from the cache, faster, with structurally equal workloads
    stats2: dict = {}
    t0 = time.perf_counter()
    table2 = build_task_table(ids, TARGET, cache_dir, progress=False, stats=stats2)
    second = time.perf_counter() - t0
    assert all(s["cached"] for s in stats2.values())
    assert second < first
    assert [t.info for t in table2] == [t.info for t in table]
    for a, b in zip(table, table2):
        assert tvm_ffi.structural_equal(a.mod, b.mod)


def test_workload_hash_matches_json_database() -> None:
    import tvm
    import tvm.s_tir.meta_schedule as ms
    from tvm.s_tir.meta_schedule.testing import te_workload

    from tircost_bench.collect.tasks import workload_hash

    mod = tvm.IRModule({"main": tvm.te.create_prim_func(te_workload.matmul(64, 64, 64))})
    assert workload_hash(mod) == ms.database.Workload(mod).as_json()[0]


@pytest.mark.slow
def test_dedup_merges_shared_task(cache_dir) -> None:
    """ResNet-18 and ResNet-50 share their stem (7x7/2 conv 3->64 + BN + ReLU, then a 3x3/2 max pool):
    the same workloads under different task names, one table entry each, used by both networks."""
    from tircost_bench.collect.tasks import build_task_table

    ids = ["resnet_18-b1", "resnet_50-b1"]
    table = build_task_table(ids, TARGET, cache_dir, progress=False)
    hashes = [t.info.workload_hash for t in table]
    assert len(hashes) == len(set(hashes))
    shared = [t for t in table if {u.network for u in t.info.uses} == set(ids)]
    fams = {t.info.op_family for t in shared}
    assert {"conv2d", "pool"} <= fams, [t.info.name for t in shared]
    # every other task belongs to exactly one of the two networks
    assert all(len(t.info.uses) == 1 for t in table if t not in shared)


def test_op_family_from_names() -> None:
    from tircost_bench.collect.tasks import is_trivial, op_family, op_tokens

    assert op_tokens("fused_conv2d13_subtract8_divide8_tir_clip2") == ["conv2d", "subtract", "divide", "clip"]
    assert op_tokens("fused_conv2d_transpose3_expand_dims3_relu3") == [
        "conv2d_transpose",
        "expand_dims",
        "relu",
    ]
    assert op_family("fused_matmul4_add2") == "dense_matmul"
    assert op_family("fused_conv2d_transpose4_tir_tanh") == "conv2d_transpose"
    assert op_family("fused_conv3d1_subtract_divide") == "conv3d"
    assert op_family("max_pool2d") == "pool"
    assert op_family("fused_softmax_broadcast_to2") == "softmax"
    assert op_family("layer_norm3") == "norm"
    assert op_family("fused_subtract2_divide2_expand_dims2_multiply2_expand_dims2_add5_relu2") == "norm"
    assert op_family("mean4") == "reduction"
    assert op_family("fused_reshape1_add3") == "elementwise"
    assert op_family("take1") == "other"
    assert is_trivial("fused_reshape8_transpose3_reshape9", 0.0)
    assert is_trivial("take", 0.0)
    assert not is_trivial("fused_reshape1_add3", 1.6e4)
