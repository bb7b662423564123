#!/usr/bin/env bash
# Runs ON the GPU machine (see ../../docs/h100-suite.md). The collector runs as a daemon (setsid) that outlives
# each device call, so calls on the warm machine only wait and copy the state back: no pool warm-up per call.
#   bash tools/device/collect-h100.sh start            # unpack state, start the daemon
#   bash tools/device/collect-h100.sh snapshot SECONDS  # wait, then pack the work folder into $OUT
#   bash tools/device/collect-h100.sh stop             # stop the daemon cleanly, then pack
# Needs TVM unpacked in /tmp/tvm-site (a first call that carries .tvm-carry and sources its activate.sh) and,
# on the first call of a machine, .whl (tqdm, ...) and .carry/h100-work.tar.xz carried along.
set -euo pipefail
mode=${1:?start, snapshot SECONDS or stop}
work=/tmp/work/h100
log=/tmp/work/collect.log
export PYTHONPATH=/tmp/tvm-site:/tmp/site:$PWD PYTHONUNBUFFERED=1

pack() {  # the task logs are crash-safe: a line torn by the running collector is repaired on resume
  python3 - "$work" <<'PY'
import sys; from pathlib import Path
n = sum(len(p.read_text().splitlines()) for p in Path(sys.argv[1]).glob("*/measurements.jsonl"))
print(f"records in the work folder: {n}")
PY
  tar -c -C /tmp/work --exclude=extract-cache h100 | xz -T0 -3 > "$OUT/h100-work.tar.xz"
  cp "$log" "$OUT/collect.log" 2>/dev/null || true
  ls -la "$OUT"
}

case "$mode" in
start)
  [[ -f /tmp/tvm-site/.ready ]] || { echo "TVM is not unpacked: carry .tvm-carry and source its activate.sh" >&2; exit 2; }
  if [[ ! -f /tmp/site/.ready ]]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && touch /tmp/site/.ready
  fi
  mkdir -p /tmp/work
  if [[ ! -d $work ]]; then
    [[ -f .carry/h100-work.tar.xz ]] || { echo "no state: carry .carry/h100-work.tar.xz" >&2; exit 2; }
    tar -xJf .carry/h100-work.tar.xz -C /tmp/work
  fi
  mkdir -p /tmp/repo && cp -r tircost_bench tools /tmp/repo/  # the daemon outlives this call's checkout
  nvidia-smi --query-gpu=name,driver_version,utilization.gpu --format=csv,noheader
  cd /tmp/repo && PYTHONPATH=/tmp/tvm-site:/tmp/site:/tmp/repo setsid nohup python3 tools/device/collect_h100.py \
    "$work" 100000 > "$log" 2>&1 < /dev/null &
  echo "collector started: pid $!"
  ;;
snapshot)
  end=$((SECONDS + ${2:?seconds}))
  while (( SECONDS < end )); do
    sleep 30
    pgrep -f collect_h100.py > /dev/null || { echo "collector is not running"; break; }
  done
  tail -c 600 "$log" | tr '\r' '\n' | tail -n 4
  pack
  ;;
stop)
  pkill -INT -f collect_h100.py || true
  for _ in $(seq 30); do pgrep -f collect_h100.py > /dev/null || break; sleep 1; done
  pkill -KILL -f collect_h100.py || true
  tail -c 1500 "$log" | tr '\r' '\n' | tail -n 8
  pack
  ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac
