"""On the GPU machine: does a built CUDA module carry compiled code (cubin) or source to JIT at load?
Times sampling, building and loading a few random programs of one task. Prints a small report."""

import json
import sys
import time
from pathlib import Path

sys.modules.setdefault("torch", None)  # TVM imports torch when present: not needed here

import tvm
import tvm.s_tir.meta_schedule as ms

from tircost_bench.collect.sampler import sample_and_build
from tircost_bench.collect.targets import cuda_target

work = Path(sys.argv[1])
task = json.loads((work / "tasks.json").read_text())[int(sys.argv[2]) if len(sys.argv) > 2 else 0]
line = json.loads((work / task["task_id"] / "database_workload.json").read_text().splitlines()[0])
mod = ms.database.Workload.from_json(line).mod
t0 = time.time()
batch = sample_and_build(task["task_id"], mod, cuda_target(), 1, 4, frozenset(), 4000)
t1 = time.time()
print(f"task {task['name']}: sampled+built {len(batch.programs)} (tried {batch.tried}, invalid {batch.invalid}) "
      f"in {t1 - t0:.1f} s (first call includes the design space)")
for p in batch.programs:
    if p.artifact_path is None:
        print("build error", p.build_error[:300])
        continue
    t = time.time()
    m = tvm.runtime.load_module(p.artifact_path)
    kinds = [getattr(x, "kind", None) or getattr(x, "type_key", "?") for x in m.imports] if hasattr(m, "imports") else []
    print(f"load_module {time.time() - t:.3f} s; imports: {kinds}")
