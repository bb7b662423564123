#!/usr/bin/env bash
# Runs ON the GPU machine: `tircost-bench search` on the h100 suite as a daemon that outlives each device call
# (a search takes longer than one call). See ../../docs/h100-suite.md, "End-to-end search on the H100".
#   bash tools/device/search-h100.sh start SUBMISSION BUDGET [SEED]  # copy the repo to /tmp/repo, start the search
#   bash tools/device/search-h100.sh wait SECONDS                     # wait (or until it ends), copy results to $OUT
# Needs TVM unpacked in /tmp/tvm-site (a first call that carries .tvm-carry and sources its activate.sh); the
# start call carries .whl (typer, rich, tqdm, ...) and .whl-search (xgboost, for TVM's stock XGBModel).
set -euo pipefail
mode=${1:?start SUBMISSION BUDGET [SEED] or wait SECONDS}
log=/tmp/search.log
export PYTHONPATH=/tmp/tvm-site:/tmp/site:/tmp/repo PYTHONUNBUFFERED=1 TIRCOST_CACHE_DIR=/tmp/cache

case "$mode" in
start)
  sub=${2:?submission folder} budget=${3:?budget} seed=${4:-0}
  [[ -f /tmp/tvm-site/.ready ]] || { echo "TVM is not unpacked: carry .tvm-carry and source its activate.sh" >&2; exit 2; }
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl .whl-search/*.whl
  rm -rf /tmp/repo && mkdir -p /tmp/repo/suites /tmp/repo/$(dirname "$sub")
  cp -r tircost_bench /tmp/repo/ && cp -r suites/h100 /tmp/repo/suites/ && cp -r "$sub" "/tmp/repo/$sub"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  # Not through the CLI: typer's option parsing needs pydantic, which the GPU machine lacks.
  cd /tmp/repo && setsid nohup python3 -c "
import sys
from tircost_bench.search import SearchConfig, default_out_dir, run_search, save_all
sub, budget, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
results = run_search(sub, 'h100', SearchConfig(budget=budget, per_iter=16, seed=seed, references=('xgb',)),
                     networks=['bert_tiny-b1'])
print(save_all(results, default_out_dir(results), track=False))
" "$sub" "$budget" "$seed" > "$log" 2>&1 < /dev/null &
  echo "search started: pid $!"
  ;;
wait)
  end=$((SECONDS + ${2:?seconds}))
  while (( SECONDS < end )) && pgrep -f "run_search" > /dev/null; do sleep 10; done
  tail -c 2000 "$log" | tr '\r' '\n' | tail -n 12
  cp "$log" "$OUT/search.log"
  find /tmp/repo/search-results -type f -exec cp {} "$OUT/" \; 2>/dev/null || true
  ls -la "$OUT"
  ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac
