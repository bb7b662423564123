#!/bin/bash
# Device side: install optuna wheels, start the training daemon (setsid) once, wait for it, bring results back.
#   [CORES=0-4,15] [GATE=1] [WAIT_S=540] bash STAGE/gcn-train-h200.sh ARGS...   (ARGS: gcn_train_gpu.py all's flags)
# A second call with any ARGS only waits and copies: the daemon started by the first keeps running.
# CORES pins the daemon (the cores that concurrent searches leave idle). GATE=1: the daemon uses the GPU only in
# turns between the searches' measured batches (gpu_gate.py; needs tircost_bench on PYTHONPATH), so a training
# job can share the machine with searches without running beside a measurement.
S=$(cd "$(dirname "$0")" && pwd)
R=/tmp/gcn-res
export PYTHONUNBUFFERED=1
if [ ! -d /tmp/site/optuna ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $S/whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD:$S/code
if [ ! -f $R/started ]; then
  mkdir -p $R && touch $R/started
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > $R/gpu.txt
  lscpu | grep -E "Model name|^CPU\(s\)" > $R/cpu.txt
  setsid nohup ${CORES:+taskset -c $CORES} python3 -u $S/code/gcn_train_gpu.py all --data $S/data --out $R "$@" \
    > $R/main.log 2>&1 < /dev/null &
  if [ -n "$GATE" ]; then
    setsid nohup python3 -u $S/code/gpu_gate.py $! > $R/gate.log 2>&1 < /dev/null &
  fi
fi
T0=$(date +%s)
while [ ! -f $R/summary.json ] && [ $(( $(date +%s) - T0 )) -lt ${WAIT_S:-540} ]; do sleep 5; done
tail -3 $R/main.log; tail -qn 1 $R/seed*.log $R/lofo-*.log 2>/dev/null
tar czf $OUT/gcn-results.tgz -C /tmp gcn-res
