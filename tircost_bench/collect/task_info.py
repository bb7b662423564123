"""What a task is, from its name and workload: operator tokens, family, triviality, FLOPs, bytes, hash, id."""

from __future__ import annotations

import re

import tvm

# Task names -> operator tokens. A fused task name is "fused_" + the legalized ops joined by "_", each op
# carrying a numeric suffix (conv2d13, add1, tir_clip28). Multi-word op names are matched first.
_MULTI = sorted(
    [
        "conv2d_transpose",
        "conv3d_transpose",
        "conv1d_transpose",
        "expand_dims",
        "strided_slice",
        "broadcast_to",
        "layer_norm",
        "batch_norm",
        "group_norm",
        "rms_norm",
        "instance_norm",
        "max_pool1d",
        "max_pool2d",
        "max_pool3d",
        "avg_pool1d",
        "avg_pool2d",
        "avg_pool3d",
        "adaptive_avg_pool1d",
        "adaptive_avg_pool2d",
        "adaptive_avg_pool3d",
        "adaptive_max_pool2d",
        "batch_matmul",
        "log_softmax",
        "permute_dims",
        "layout_transform",
        "dynamic_strided_slice",
        "scatter_elements",
        "collapse_sum_like",
        "full_like",
        "zeros_like",
        "ones_like",
        "index_tensor",
        "image_resize2d",
    ],
    key=len,
    reverse=True,
)
_TOKEN = re.compile(r"(tir_[a-z]+|" + "|".join(_MULTI) + r"|[a-z]+(?:\d+d)?)\d*(?:_|$)")

# Ops that only move or re-type data. A task made only of these has nothing to tile or vectorize worth a
# cost model's attention (reshape, transpose, concat, slices, casts, embedding gathers).
LAYOUT_OPS = frozenset(
    {
        "reshape",
        "transpose",
        "permute_dims",
        "squeeze",
        "expand_dims",
        "concatenate",
        "strided_slice",
        "dynamic_strided_slice",
        "cast",
        "broadcast_to",
        "take",
        "split",
        "flatten",
        "copy",
        "full",
        "full_like",
        "zeros",
        "zeros_like",
        "ones",
        "ones_like",
        "tile",
        "repeat",
        "pad",
        "layout_transform",
        "index_tensor",
        "flip",
        "gather",
        "stack",
    }
)
ELEMENTWISE_OPS = frozenset(
    {
        "add",
        "subtract",
        "multiply",
        "divide",
        "relu",
        "gelu",
        "silu",
        "sigmoid",
        "tanh",
        "exp",
        "log",
        "sqrt",
        "rsqrt",
        "power",
        "erf",
        "clip",
        "maximum",
        "minimum",
        "negative",
        "abs",
        "where",
        "less",
        "greater",
        "equal",
        "floor",
        "ceil",
        "round",
        "hardswish",
        "hardsigmoid",
        "square",
        "sin",
        "cos",
        "floor_divide",
        "mod",
        "select",
        "leakyrelu",
    }
)
REDUCTION_OPS = frozenset({"mean", "sum", "max", "min", "prod", "variance", "std", "argmax", "argmin"})
NORM_OPS = frozenset({"layer_norm", "batch_norm", "group_norm", "rms_norm", "instance_norm"})


def op_tokens(task_name: str) -> list[str]:
    """'fused_conv2d13_subtract8_tir_clip2' -> ['conv2d', 'subtract', 'clip']; tir_ prefixes dropped."""
    name = task_name.removeprefix("fused_")
    tokens, pos = [], 0
    while pos < len(name):
        m = _TOKEN.match(name, pos)
        if m is None:  # unknown spelling: keep the rest as one token rather than fail
            tokens.append(name[pos:])
            break
        tok = m.group(1)
        tokens.append(tok.removeprefix("tir_"))
        pos = m.end()
    return tokens


def is_trivial(task_name: str, flops: float) -> bool:
    """Dropped from the task table: pure data movement.

    Rule: every op in the task name is a layout/copy op (LAYOUT_OPS), or the FLOP estimate is 0 (nothing
    computes; this also catches gathers and copies under names we don't list). Tasks mixing a layout op
    with real arithmetic (``fused_reshape1_add3``) stay.
    """
    return flops == 0 or all(t in LAYOUT_OPS for t in op_tokens(task_name))


def _prim_func(mod: tvm.IRModule):
    return (
        mod["main"]
        if any(gv.name_hint == "main" for gv in mod.get_global_vars())
        else next(iter(mod.functions.values()))
    )


def _arg_infos(mod: tvm.IRModule):
    from tvm.s_tir.meta_schedule.arg_info import ArgInfo

    return ArgInfo.from_prim_func(_prim_func(mod))


def op_family(task_name: str, mod: tvm.IRModule | None = None) -> str:
    """conv2d / conv2d_transpose / conv3d / depthwise_conv2d / group_conv2d / dense_matmul / pool / softmax /
    norm / elementwise / reduction / other, from the task name (and, for grouped convs, the PrimFunc)."""
    toks = set(op_tokens(task_name))
    if toks & {"conv3d", "conv3d_transpose"}:
        return "conv3d"
    if "conv2d_transpose" in toks:
        return "conv2d_transpose"
    if "conv2d" in toks:
        if mod is None:
            return "conv2d"
        script = mod.script()
        if "depthwise_conv2d" in script:
            return "depthwise_conv2d"
        if '"group_conv2d' in script:
            # TOPI legalizes every groups > 1 conv, depthwise included, to group_conv2d_nchw. The weight is
            # the second argument (data, weight, ...), shaped (out, in / groups, kh, kw): one input channel
            # per group means groups == in_channels, i.e. depthwise.
            args = _arg_infos(mod)
            w = args[1].shape if len(args) > 1 else ()
            return "depthwise_conv2d" if len(w) == 4 and int(w[1]) == 1 else "group_conv2d"
        return "conv2d"
    if toks & {"matmul", "dense", "batch_matmul"}:
        return "dense_matmul"
    if any("pool" in t for t in toks):
        return "pool"
    if toks & {"softmax", "log_softmax"}:
        return "softmax"
    if toks & NORM_OPS or {"subtract", "divide", "multiply"} <= toks:  # BN inference arithmetic, no conv
        return "norm"
    if toks & REDUCTION_OPS:
        return "reduction"
    if toks & ELEMENTWISE_OPS and toks <= ELEMENTWISE_OPS | LAYOUT_OPS:
        return "elementwise"
    return "other"


def task_bytes(mod: tvm.IRModule) -> float:
    """Sum of the sizes of the PrimFunc's tensor arguments (inputs and outputs)."""
    total = 0
    for a in _arg_infos(mod):
        n = 1
        for d in a.shape:
            n *= int(d)
        total += n * tvm.runtime.DataType(str(a.dtype)).bits // 8
    return float(total)


def task_flops(mod: tvm.IRModule) -> float:
    from tvm.s_tir.analysis import estimate_tir_flops

    return float(estimate_tir_flops(mod))


def workload_hash(mod: tvm.IRModule) -> str:
    """The decimal structural hash JSONDatabase writes for this workload (tvm_ffi.structural_hash)."""
    import tvm_ffi

    return str(tvm_ffi.structural_hash(mod))


def make_task_id(name: str, whash: str) -> str:
    return f"{name}-{int(whash) & 0xFFFFFFFF:08x}"
