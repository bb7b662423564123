#!/bin/bash
# Device side: install optuna wheels, start the training daemon (setsid) once, wait for it, bring results back.
#   [CORES=0-4,15] [GATE=1] [WAIT_S=540] bash STAGE/gcn-train-h200.sh ARGS...   (ARGS: gcn_train_gpu.py all's flags)
# The daemon runs from a copy in /tmp/gcn-home (the stage, tircost_bench, the submission's code), so later calls
# may carry another tree (e.g. TVM for a search). A second call with any ARGS only waits and copies.
# CORES pins the daemon (the cores that concurrent searches leave idle). GATE=1: the daemon uses the GPU only in
# turns between the searches' measured batches (gpu_gate.py), so a training job can share the machine with
# searches without running beside a measurement.
R=/tmp/gcn-res H=/tmp/gcn-home
export PYTHONUNBUFFERED=1 PYTHONPATH=/tmp/site:$H:$H/stage/code
if [ ! -f $R/started ]; then
  S=$(cd "$(dirname "$0")" && pwd)
  rm -rf $H && mkdir -p $H/submissions/gcn_topk $R && touch $R/started
  cp -r "$S" $H/stage && cp -r tircost_bench $H/ && cp submissions/gcn_topk/*.py $H/submissions/gcn_topk/
  [ -d /tmp/site/optuna ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site $H/stage/whl/*.whl || exit 1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > $R/gpu.txt
  lscpu | grep -E "Model name|^CPU\(s\)" > $R/cpu.txt
  (cd $H || exit 1
   setsid nohup ${CORES:+taskset -c $CORES} python3 -u stage/code/gcn_train_gpu.py all --data stage/data \
     --out $R "$@" > $R/main.log 2>&1 < /dev/null &
   pid=$!
   [ -n "$GATE" ] && setsid nohup python3 -u stage/code/gpu_gate.py $pid > $R/gate.log 2>&1 < /dev/null &)
fi
T0=$(date +%s)
while [ ! -f $R/summary.json ] && [ $(( $(date +%s) - T0 )) -lt ${WAIT_S:-540} ]; do sleep 5; done
tail -3 $R/main.log; tail -qn 1 $R/seed*.log $R/lofo-*.log 2>/dev/null
tar czf $OUT/gcn-results.tgz -C /tmp gcn-res
