#!/usr/bin/env bash
# Runs ON the GPU machine (see ../../docs/h100-suite.md): continue the h100 collection for SECONDS, then pack the
# work folder into $OUT so the next call (or session) resumes from it.
#   bash tools/device/collect-h100.sh SECONDS
# Needs TVM unpacked in /tmp/tvm-site (a first call that carries .tvm-carry and sources its activate.sh) and,
# on the first call of a machine, .whl (typer, rich, tqdm, ...) and .carry/h100-work.tar.xz carried along.
set -euo pipefail
seconds=${1:-480}
[[ -f /tmp/tvm-site/.ready ]] || { echo "TVM is not unpacked on this machine: carry .tvm-carry and source its activate.sh" >&2; exit 2; }
if [[ ! -f /tmp/site/.ready ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && touch /tmp/site/.ready
fi
export PYTHONPATH=/tmp/tvm-site:/tmp/site:$PWD PYTHONUNBUFFERED=1
mkdir -p /tmp/work
if [[ ! -d /tmp/work/h100 ]]; then
  [[ -f .carry/h100-work.tar.xz ]] || { echo "no state: carry .carry/h100-work.tar.xz" >&2; exit 2; }
  tar -xJf .carry/h100-work.tar.xz -C /tmp/work
fi
nvidia-smi --query-gpu=name,driver_version,utilization.gpu --format=csv,noheader
# The collector stops itself after the batch that crosses SECONDS; `timeout` is the backstop (a kill loses
# nothing: the task logs are crash-safe). Keep SECONDS + 90 under the call's timeout so the tar below runs.
timeout --signal=KILL $((seconds + 60)) python3 tools/device/collect_h100.py /tmp/work/h100 "$seconds" || true
tar -c -C /tmp/work --exclude=extract-cache h100 | xz -T0 -6 > "$OUT/h100-work.tar.xz"
ls -la "$OUT"
