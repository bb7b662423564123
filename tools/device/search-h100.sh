#!/usr/bin/env bash
# Runs ON the GPU machine: the search protocol (docs/search.md, tircost_bench/search/protocol.py) on the h100
# suite as a daemon that outlives
# each device call. Results are written after every measured batch, so what a lost machine measured is kept.
#   bash STAGE/search-h100.sh start STAGE TRIALS_PER_TASK SEEDS NETWORKS TOP SUBMISSION...
#       STAGE: the staged harness (tircost_bench/, submissions/*/ code, whl/); SEEDS and NETWORKS comma-separated;
#       TOP: tune only the TOP heaviest tasks of each network (by weight; 0 = all of them)
#   bash STAGE/search-h100.sh wait SECONDS   # wait (or until the daemon ends), copy results and log to $OUT
#   bash STAGE/search-h100.sh also CORES TRIALS_PER_TASK SEEDS NETWORKS TOP SUBMISSION...
#       a second protocol beside the running one, from the same staged copy, pinned to CORES (comma-separated,
#       e.g. the slice a finished --concurrent seed left: 0,1,2,3,4), taking the GPU in the same turns; its log
#       is /tmp/search-also.log (ALSO_LOG=/tmp/search-also-NAME.log for one more beside it). Its seeds run one
#       after the other; with the slice size of a --concurrent run, its results resume under --concurrent later
#       (same cores a seed, same config). ALSO_AFTER=LOG: start it only once LOG says "done: seed" (a waiter in
#       the background; a --concurrent seed's log is search-results/h100/logs/seedS.log under /tmp/repo).
# One search per seed: stock XGBModel and every submission in one process, in an order rotated by the seed,
# after a warm-up of the compile path; SEARCH_FLAGS=--concurrent runs the seeds side by side, each on its own
# slice of the cores, the GPU taken in turns per measured batch (the wait is off the search clocks). The suite and the checkpoints come from the
# working tree; the harness code from STAGE (run `tools/device/stage-search.sh` here first).
# Needs TVM unpacked in /tmp/tvm-site (a first call that carries the TVM folder and sources its activate.sh)
# and HARNESS_COMMIT set to the commit of the staged code (the copy has no .git).
set -euo pipefail
mode=${1:?start STAGE TRIALS_PER_TASK SEEDS NETWORKS TOP SUBMISSION... or wait SECONDS}
log=/tmp/search.log also_log=${ALSO_LOG:-/tmp/search-also.log}
export PYTHONPATH=/tmp/tvm-site:/tmp/site:/tmp/repo PYTHONUNBUFFERED=1 TIRCOST_CACHE_DIR=/tmp/cache

# The protocol on the staged copy, as a daemon that outlives the device call (its pid in $!):
#   protocol LOG TRIALS_PER_TASK SEEDS NETWORKS TOP ARG...
protocol() {
  local out=$1 trials=$2 seeds=$3 networks=$4 top=$5
  shift 5
  cd /tmp/repo && TIRCOST_HARNESS_COMMIT=${HARNESS_COMMIT:?} setsid nohup python3 -m tircost_bench.search.protocol \
    --suite h100 --networks "$networks" --top "$top" --trials-per-task "$trials" --seeds "$seeds" "$@" \
    > "$out" 2>&1 < /dev/null &
}

case "$mode" in
start)
  stage=${2:?stage} trials=${3:?trials per task} seeds=${4:?seeds} networks=${5:?networks} top=${6:?top}
  shift 6
  (( $# )) || { echo "name at least one submission folder" >&2; exit 2; }
  [[ -f /tmp/tvm-site/.ready ]] || { echo "TVM is not unpacked: carry it and source its activate.sh" >&2; exit 2; }
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site "$stage"/whl/*.whl
  rm -rf /tmp/repo && mkdir -p /tmp/repo/suites
  cp -r "$stage/tircost_bench" /tmp/repo/ && cp -r suites/h100 /tmp/repo/suites/
  # results carried back from an earlier machine (with SEARCH_FLAGS=--resume only the unfinished models run)
  [[ -d search-results ]] && cp -r search-results /tmp/repo/
  for sub in "$@"; do  # code from the stage, checkpoints from the working tree
    mkdir -p "/tmp/repo/$sub" && cp -r "$sub/checkpoints" "/tmp/repo/$sub/" && cp -r "$stage/$sub/." "/tmp/repo/$sub/"
  done
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  protocol "$log" "$trials" "$seeds" "$networks" "$top" ${SEARCH_FLAGS:-} "$@"
  echo "search started: pid $!"
  ;;
also)
  if [[ -n ${ALSO_AFTER:-} ]]; then  # launch later, from a waiter that outlives this device call
    ALSO_AFTER= setsid nohup bash -c 'until grep -q "^done: seed" "$1" 2>/dev/null; do sleep 5; done; shift; exec bash "$@"' \
      waiter "$ALSO_AFTER" "$0" "$@" > /dev/null 2>&1 < /dev/null &
    echo "second search waits for $ALSO_AFTER: waiter pid $!"
    exit 0
  fi
  cores=${2:?cores} trials=${3:?trials per task} seeds=${4:?seeds} networks=${5:?networks} top=${6:?top}
  shift 6
  [[ -d /tmp/repo/tircost_bench ]] || { echo "no staged copy in /tmp/repo: run start first" >&2; exit 2; }
  protocol "$also_log" "$trials" "$seeds" "$networks" "$top" --cores "$cores" --shared-device ${ALSO_FLAGS:-} "$@"
  echo "second search started: pid $!, cores $cores"
  ;;
wait)
  end=$((SECONDS + ${2:?seconds}))
  while (( SECONDS < end )) && pgrep -f "tircost_bench.search.protocol|search-h100.sh also" > /dev/null; do sleep 5; done
  if [[ -f $log ]]; then tail -c 3000 "$log" | tr '\r' '\n' | tail -n 14; cp "$log" "$OUT/search.log"; fi
  for f in /tmp/search-also*.log; do  # every `also` protocol's log
    [[ -f $f ]] && { echo "== $f"; tail -c 600 "$f" | tr '\r' '\n' | tail -n 3; cp "$f" "$OUT/"; }
  done
  # every results file (partial ones too) and the per-seed logs, as one archive (a call returns <= 8 files)
  [[ -d /tmp/repo/search-results ]] && tar czf "$OUT/search-results.tgz" -C /tmp/repo search-results
  ls -la "$OUT"
  ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac
