"""A scheduled TIR program as a compact typed graph (for GNN cost models).

Nodes are statements and non-leaf expressions; IntImm and Var leaves (~76% of the AST) are folded into
their parent's numeric features. Edges: AST parent->child, loop/block variable definition->use, and
data flow store->load of the same buffer. The trace is replayed with `Schedule` + `Trace.apply_json`
directly (Program.record would also parse the target, which costs as much as the replay itself).
Graphs are cached on disk per program content (workload hash + trace + target), so predict-time
Programs, which carry no suite reference, hit the same cache as training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tircost_bench.representations.program import Program

GRAPH_VERSION = 2  # bump whenever tokens, features or edges change: it is part of every cache key

EDGE_AST, EDGE_VAR, EDGE_FLOW = 0, 1, 2
FEATURES = (
    "depth",  # /32
    "log2_extent",  # For: log2(1 + extent)
    "log2_exec",  # log2 of the product of enclosing loop extents (how often the node runs) / 32
    "log2_unroll",  # For: log2(1 + pragma_auto_unroll_max_step)
    "log2_const",  # max log2(1 + |c|) over own value and folded IntImm children
    "n_consts",  # folded IntImm children / 4
    "n_vars",  # folded Var children / 4
    "log2_buffer",  # store/load: log2(1 + buffer elements) / 32
    "ndim",  # store/load: number of indices / 4
)
N_FEATURES = len(FEATURES)
_FOR_KINDS = ("serial", "parallel", "vectorized", "unrolled", "thread")


def _log2(x: float) -> float:
    """log2(1 + |x|), finite: max-pool inits are -inf and would poison every feature statistic."""
    x = abs(x)
    return math.log2(1.0 + x) if x < 1e38 else 128.0


@dataclass(frozen=True, eq=False)
class ProgramGraph:
    """Nodes in pre-order (node 0 is the root statement); tokens via a per-graph vocabulary."""

    vocab: tuple[str, ...]  # distinct tokens of this graph
    token_idx: np.ndarray  # int32 (N,): index into vocab
    features: np.ndarray  # float32 (N, N_FEATURES)
    edge_index: np.ndarray  # int64 (2, E): src, dst (parent->child, def->use, store->load)
    edge_type: np.ndarray  # int8 (E,): EDGE_AST, EDGE_VAR or EDGE_FLOW

    @property
    def num_nodes(self) -> int:
        return int(self.token_idx.size)

    @property
    def tokens(self) -> list[str]:
        return [self.vocab[i] for i in self.token_idx]


class _Builder:
    """One pass of structural_visit with typed callbacks; Python state kept in flat lists."""

    def __init__(self) -> None:
        self.tok: list[int] = []
        self.vocab: dict[str, int] = {}
        self.feat: list[list[float]] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.etype: list[int] = []
        self.stack: list[int] = []  # ancestors of the current node
        self.exec_log2 = 0.0  # log2 of enclosing loop trip counts
        self.var_def: dict[int, int] = {}  # Var handle -> defining node (For or SBlockRealize)
        self.stores: dict[str, list[int]] = {}
        self.loads: dict[str, list[int]] = {}
        self.buffers: dict[int, tuple[str, str, float]] = {}  # handle -> (scope:dtype, name, log2 size)

    def node(self, token: str) -> int:
        i = len(self.tok)
        t = self.vocab.get(token)
        if t is None:
            t = self.vocab[token] = len(self.vocab)
        self.tok.append(t)
        row = [0.0] * N_FEATURES
        row[0] = len(self.stack) / 32.0
        row[2] = self.exec_log2 / 32.0
        self.feat.append(row)
        if self.stack:
            self.src.append(self.stack[-1])
            self.dst.append(i)
            self.etype.append(EDGE_AST)
        return i

    def children(self, i: int, visitor: Any, *values: Any) -> None:
        # An Array child is handed to the C++ visitor whole: iterating it in Python costs ~1.5 us/element.
        self.stack.append(i)
        for v in values:
            visitor.visit(v)
        self.stack.pop()

    # --- callbacks: each owns its node's descent (returning without visiting prunes) ---
    def on_int(self, v: Any, visitor: Any) -> None:
        if self.stack:
            row = self.feat[self.stack[-1]]
            row[4] = max(row[4], _log2(v.value))
            row[5] += 0.25

    def on_var(self, v: Any, visitor: Any) -> None:
        if self.stack:
            parent = self.stack[-1]
            self.feat[parent][6] += 0.25
            d = self.var_def.get(v.__chandle__())
            if d is not None and d != parent:
                self.src.append(d)
                self.dst.append(parent)
                self.etype.append(EDGE_VAR)

    def on_float(self, v: Any, visitor: Any) -> None:
        i = self.node("FloatImm:" + str(v.ty))
        self.feat[i][4] = _log2(v.value)

    def on_for(self, v: Any, visitor: Any) -> None:
        kind = _FOR_KINDS[int(v.kind)]
        if v.thread_binding is not None:
            kind += ":" + str(v.thread_binding.thread_tag)
        ann = v.annotations
        unroll = 0
        if len(ann) and "pragma_auto_unroll_max_step" in ann:
            unroll = int(ann["pragma_auto_unroll_max_step"])
            kind += ":unroll" + ("_explicit" if int(ann.get("pragma_unroll_explicit", 0)) else "")
        ext = v.extent
        extent = float(ext.value) if hasattr(ext, "value") else 1.0
        i = self.node("For:" + kind)
        row = self.feat[i]
        row[1] = math.log2(1.0 + extent)
        row[3] = math.log2(1.0 + unroll)
        self.var_def[v.loop_var.__chandle__()] = i
        saved = self.exec_log2
        self.exec_log2 += math.log2(max(extent, 1.0))
        self.feat[i][2] = self.exec_log2 / 32.0
        self.children(i, visitor, v.body)
        self.exec_log2 = saved

    def on_realize(self, v: Any, visitor: Any) -> None:
        block = v.block
        name = "SBlockRealize:root" if block.name_hint == "root" else "SBlockRealize"
        i = self.node(name)
        self.stack.append(i)
        visitor.visit(v.iter_values)  # bindings of block vars to loop vars: visited as children
        visitor.visit(v.predicate)
        for iv in block.iter_vars:
            self.var_def[iv.var.__chandle__()] = i
        ann = block.annotations
        keys = ",".join(sorted(str(k) for k in ann)) if len(ann) else ""
        j = self.node("SBlock" + (":" + keys if keys else ""))
        self.stack.append(j)
        allocs = block.alloc_buffers
        if len(allocs):
            for buf in allocs:
                self.node("Alloc:" + self._buffer(buf)[0])
        init = block.init
        if init is not None:
            self.children(self.node("Init"), visitor, init)
        visitor.visit(block.body)
        self.stack.pop()
        self.stack.pop()

    def _buffer(self, buf: Any) -> tuple[str, str, float]:
        """(scope:dtype, name, log2 elements), once per buffer: accesses repeat the same few buffers."""
        h = buf.__chandle__()
        info = self.buffers.get(h)
        if info is None:
            n = 1.0
            for s in buf.shape:
                n *= float(s.value) if hasattr(s, "value") else 1.0
            info = self.buffers[h] = (f"{buf.scope()}:{buf.dtype}", str(buf.name), math.log2(1.0 + n) / 32.0)
        return info

    def _access(self, token: str, buf: Any, indices: Any) -> tuple[int, str]:
        kind, name, log2size = self._buffer(buf)
        i = self.node(token + kind)
        row = self.feat[i]
        row[7] = log2size
        row[8] = len(indices) / 4.0
        return i, name

    def on_store(self, v: Any, visitor: Any) -> None:
        indices = v.indices
        i, name = self._access("Store:", v.buffer, indices)
        self.stores.setdefault(name, []).append(i)
        self.children(i, visitor, v.value, indices)

    def on_load(self, v: Any, visitor: Any) -> None:
        indices = v.indices
        i, name = self._access("Load:", v.source, indices)
        self.loads.setdefault(name, []).append(i)
        self.children(i, visitor, indices)

    def on_call(self, v: Any, visitor: Any) -> None:
        op = v.op
        self.children(self.node("Call:" + str(getattr(op, "name", type(op).__name__))), visitor, v.args)

    def on_seq(self, v: Any, visitor: Any) -> None:
        self.children(self.node("SeqStmt"), visitor, v.seq)

    def on_other(self, v: Any, visitor: Any) -> None:
        # Arithmetic/compare ops and any statement kind not listed: dtype splits index math from compute.
        dtype = getattr(getattr(v, "ty", None), "dtype", None)
        i = self.node(f"{type(v).__name__}:{dtype}" if dtype is not None else type(v).__name__)
        self.stack.append(i)
        visitor.default_visit(v)
        self.stack.pop()

    def finish(self) -> ProgramGraph:
        for name, st in self.stores.items():
            for ld in self.loads.get(name, ()):
                for s in st:
                    self.src.append(s)
                    self.dst.append(ld)
                    self.etype.append(EDGE_FLOW)
        vocab = tuple(sorted(self.vocab, key=self.vocab.__getitem__))
        return ProgramGraph(
            vocab=vocab,
            token_idx=np.asarray(self.tok, dtype=np.int32),
            features=np.asarray(self.feat, dtype=np.float32).reshape(-1, N_FEATURES),
            edge_index=np.asarray([self.src, self.dst], dtype=np.int64).reshape(2, -1),
            edge_type=np.asarray(self.etype, dtype=np.int8),
        )


_CALLBACKS: list[Any] | None = None


def _callback_types() -> list[tuple[type, str]]:
    from tvm.ir.expr import Call, Expr, TensorLoad, TensorRegion, Var
    from tvm.ir.prim.expr import FloatImm, IntImm
    from tvm.s_tir.stmt import SBlockRealize
    from tvm.tirx.stmt import BufferStore, For, SeqStmt, Stmt

    return [(IntImm, "on_int"), (Var, "on_var"), (FloatImm, "on_float"), (For, "on_for"),
            (SBlockRealize, "on_realize"), (BufferStore, "on_store"), (TensorLoad, "on_load"),
            (Call, "on_call"), (SeqStmt, "on_seq"), (TensorRegion, "skip"), (Stmt, "on_other"),
            (Expr, "on_other")]


def graph_of_func(func: Any) -> ProgramGraph:
    """The graph of one PrimFunc (its body)."""
    import tvm_ffi

    global _CALLBACKS
    if _CALLBACKS is None:
        _CALLBACKS = _callback_types()
    b = _Builder()
    entries = [(t, getattr(b, name) if name != "skip" else (lambda v, visitor: None)) for t, name in _CALLBACKS]
    tvm_ffi.structural_visit(func.body, entries)
    return b.finish()


def scheduled_func(program: Program) -> Any:
    """The scheduled PrimFunc: Program.mod when already replayed, else a replay of the trace alone."""
    mod = program._mod if program._mod is not None else program.schedule().mod  # not memoized on the Program
    return mod["main"] if "main" in {gv.name_hint for gv in mod.get_global_vars()} else next(iter(mod.functions.values()))


def build_graph(program: Program) -> ProgramGraph:
    """Replay + walk, no cache."""
    return graph_of_func(scheduled_func(program))
