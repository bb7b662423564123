#!/usr/bin/env bash
# Runs ON the GPU machine: `tircost-bench search` on the h100 suite as a daemon that outlives each device call
# (a search takes longer than one call). See ../../docs/h100-suite.md, "End-to-end search on the H100".
#   bash tools/device/search-h100.sh start BUDGET SEED SUBMISSION...  # copy the repo to /tmp/repo, start the searches
#   bash tools/device/search-h100.sh wait SECONDS                     # wait (or until they end), copy results to $OUT
# The submissions' searches run one after the other (each with its own stock XGBModel run), each saving
# its results JSON as soon as it ends, so a machine that goes back mid-way keeps the finished ones.
# Needs TVM unpacked in /tmp/tvm-site (a first call that carries .tvm-carry and sources its activate.sh); the
# start call carries .whl (typer, rich, tqdm, ...) and .whl-search (xgboost, for TVM's stock XGBModel).
set -euo pipefail
mode=${1:?start BUDGET SEED SUBMISSION... or wait SECONDS}
log=/tmp/search.log
export PYTHONPATH=/tmp/tvm-site:/tmp/site:/tmp/repo PYTHONUNBUFFERED=1 TIRCOST_CACHE_DIR=/tmp/cache

case "$mode" in
start)
  budget=${2:?budget} seed=${3:?seed}
  shift 3
  (( $# )) || { echo "name at least one submission folder" >&2; exit 2; }
  [[ -f /tmp/tvm-site/.ready ]] || { echo "TVM is not unpacked: carry .tvm-carry and source its activate.sh" >&2; exit 2; }
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl .whl-search/*.whl
  rm -rf /tmp/repo && mkdir -p /tmp/repo/suites
  cp -r tircost_bench /tmp/repo/ && cp -r suites/h100 /tmp/repo/suites/
  for sub in "$@"; do mkdir -p "/tmp/repo/$(dirname "$sub")" && cp -r "$sub" "/tmp/repo/$sub"; done
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  # Not through the CLI: typer's option parsing needs pydantic, which the GPU machine lacks.
  cd /tmp/repo && setsid nohup python3 -c "
import sys
from tircost_bench.search import SearchConfig, default_out_dir, run_search, save_all
budget, seed = int(sys.argv[1]), int(sys.argv[2])
for sub in sys.argv[3:]:
    results = run_search(sub, 'h100', SearchConfig(budget=budget, per_iter=16, seed=seed, references=('xgb',)),
                         networks=['bert_tiny-b1'])
    print(save_all(results, default_out_dir(results), track=False), flush=True)
" "$budget" "$seed" "$@" > "$log" 2>&1 < /dev/null &
  echo "search started: pid $!"
  ;;
wait)
  end=$((SECONDS + ${2:?seconds}))
  while (( SECONDS < end )) && pgrep -f "run_search" > /dev/null; do sleep 10; done
  tail -c 2000 "$log" | tr '\r' '\n' | tail -n 12
  cp "$log" "$OUT/search.log"
  for d in /tmp/repo/search-results/h100/*/; do  # one JSON per finished search: NAME-seedS.json
    [[ -f "$d/search_results.json" ]] && cp "$d/search_results.json" "$OUT/$(basename "$d").json"
  done
  ls -la "$OUT"
  ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac
