#!/bin/bash
# Device side: install optuna wheels, start the training daemon (setsid), wait for it, bring results back.
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
  setsid nohup python3 -u $S/code/gcn_train_gpu.py all --data $S/data --out $R "$@" > $R/main.log 2>&1 < /dev/null &
fi
T0=$(date +%s)
while [ ! -f $R/summary.json ] && [ $(( $(date +%s) - T0 )) -lt ${WAIT_S:-540} ]; do sleep 5; done
tail -5 $R/main.log
tar czf $OUT/results.tgz -C /tmp gcn-res
ls $R
