"""Roofline reference: latency = max(compute time, memory time) of the *scheduled* IRModule.

compute: FLOPs from TVM's estimator (`estimate_tir_flops`), run at `peak_gflops` scaled by how much of the
  chip the schedule uses: min(parallel extent, cores) / cores, and 1 / simd_lanes when the busiest block
  (most instances) has no vectorized loop around it.
memory: a one-level cache model per block. Walking the block's loop nest from the outermost loop in, take
  the outermost level whose data footprint fits in `cache_kib`; everything inside it is reused from cache,
  while each loop outside it re-reads the accesses it does not index. Per access (global-scope buffers only;
  local/shared scratch stays in cache):
      bytes = element bytes * prod(extent of loops outside the fit level)
                            * prod(extent of loops inside it that index the access)
  A loop "indexes" an access when its variable reaches the access's indices through the block bindings.
  Tiling, loop order, compute_at and cache_read/write therefore all change the estimate, not only the task.
No training: `fit` is a no-op and there is nothing to checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tircost_bench.predictors.interface import UntrainedPredictor


@dataclass
class _Access:
    elem_bytes: float
    loops: frozenset[str]  # names of the loop vars that index it


@dataclass
class _Block:
    loops: list[tuple[str, int, int]]  # (var name, extent, ForKind) outer -> inner
    accesses: list[_Access] = field(default_factory=list)

    @property
    def instances(self) -> int:
        return math.prod(e for _, e, _ in self.loops)


def _int(x: Any, default: int = 1) -> int:
    return int(x.value) if hasattr(x, "value") else default  # symbolic extents: assume 1


# TVM imports at module level: this file is only imported when the roofline is used, and importing inside
# the recursive walk cost more than the walk itself.
from tvm.s_tir.analysis import estimate_tir_flops
from tvm.s_tir.stmt import SBlockRealize
from tvm.tirx import For, ForKind, SeqStmt
from tvm.tirx.analysis import undefined_vars


def _collect_blocks(stmt: Any, loops: list[tuple[str, int, int]], out: list[_Block]) -> None:
    """Recursive walk of the TIR; there is no Python post_order_visit for TIR statements in this TVM."""
    if isinstance(stmt, SeqStmt):
        for s in stmt.seq:
            _collect_blocks(s, loops, out)
    elif isinstance(stmt, For):
        _collect_blocks(stmt.body, [*loops, (stmt.loop_var.name, _int(stmt.extent), int(stmt.kind))], out)
    elif isinstance(stmt, SBlockRealize):
        block = stmt.block
        if block.iter_vars:  # the root block has no iterators: only descend
            iv_loops = {iv.var.name: {v.name for v in undefined_vars(val)}
                        for iv, val in zip(block.iter_vars, stmt.iter_values)}
            b = _Block(loops)
            for region in [*block.reads, *block.writes]:
                buf = region.source  # TensorRegion: the buffer it reads or writes
                if buf.scope() not in ("global", ""):
                    continue
                names: set[str] = set()
                for r in region.region:
                    for v in undefined_vars(r.min):
                        names |= iv_loops.get(v.name, {v.name})
                elem = buf.dtype.bits * buf.dtype.lanes / 8 * math.prod(_int(r.extent) for r in region.region)
                b.accesses.append(_Access(elem, frozenset(names)))
            out.append(b)
        _collect_blocks(block.body, loops, out)
    else:
        for attr in ("body", "then_case", "else_case"):
            child = getattr(stmt, attr, None)
            if child is not None:
                _collect_blocks(child, loops, out)


def _block_bytes(b: _Block, cache_bytes: float) -> float:
    n = len(b.loops)
    for level in range(n + 1):  # outermost level whose inner footprint fits
        inner = b.loops[level:]
        footprint = sum(a.elem_bytes * math.prod(e for v, e, _ in inner if v in a.loops) for a in b.accesses)
        if footprint <= cache_bytes or level == n:
            outer = math.prod(e for _, e, _ in b.loops[:level])
            return sum(a.elem_bytes * outer * math.prod(e for v, e, _ in inner if v in a.loops)
                       for a in b.accesses)
    return 0.0  # unreachable


class Roofline(UntrainedPredictor):
    def __init__(self, seed: int = 0, peak_gflops: float = 100.0, bandwidth_gbs: float = 20.0,
                 cores: int = 2, simd_lanes: int = 8, cache_kib: float = 512.0, **parameters: object) -> None:
        super().__init__(seed, peak_gflops=peak_gflops, bandwidth_gbs=bandwidth_gbs, cores=cores,
                         simd_lanes=simd_lanes, cache_kib=cache_kib, **parameters)
        self.peak_flops = peak_gflops * 1e9
        self.bandwidth = bandwidth_gbs * 1e9
        self.cores = cores
        self.simd_lanes = simd_lanes
        self.cache_bytes = cache_kib * 1024

    def latency(self, mod: Any) -> float:
        flops = float(estimate_tir_flops(mod))
        blocks: list[_Block] = []
        for func in mod.functions.values():
            _collect_blocks(func.body, [], blocks)
        if not blocks:
            return 1e-9
        parallel = max(math.prod(e for _, e, k in b.loops if k == ForKind.PARALLEL) for b in blocks)
        busiest = max(blocks, key=lambda b: b.instances)
        vectorized = any(k == ForKind.VECTORIZED for _, _, k in busiest.loops)
        throughput = self.peak_flops * min(parallel, self.cores) / self.cores
        if not vectorized:
            throughput /= self.simd_lanes
        moved = sum(_block_bytes(b, self.cache_bytes) for b in blocks)
        # The floor keeps predictions > 0 for empty/degenerate programs (the harness requires it).
        return max(flops / throughput, moved / self.bandwidth, 1e-9)

    def predict(self, programs: Sequence[Any]) -> np.ndarray:
        return np.array([p.cached("roofline_latency", lambda q: self.latency(q.mod)) for p in programs],
                        dtype=np.float64)
