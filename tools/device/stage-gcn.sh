#!/usr/bin/env bash
# Runs HERE: stages what a GPU training call needs into REPO/.gcn-stage (git-ignored), for gcn-train-h200.sh.
#   bash tools/device/stage-gcn.sh REPO
# Leaves REPO/.gcn-stage/{gcn-train-h200.sh, code/ (the device scripts + gcn_topk_model.py), whl/ (optuna and
# its dependencies for the device's Python 3.12)}; REPO/.gcn-stage/data comes from gcn_export.py (graphs,
# embeddings, programs). Then: `bash tools/device/slim-tree.sh gcn`, one device call carrying .gcn-stage:
#   WAIT_S=500 bash .gcn-stage/gcn-train-h200.sh ARGS...   (later calls: the same line, it only waits)
set -euo pipefail
repo=$(cd "${1:?repo}" && pwd)
stage=$repo/.gcn-stage
grep -qxF "/.gcn-stage/" "$repo/.git/info/exclude" || echo "/.gcn-stage/" >> "$repo/.git/info/exclude"
rm -rf "$stage/code" && mkdir -p "$stage/code" "$stage/whl"
cp "$repo"/tools/device/{gcn_train_gpu.py,gcn_study.py,gpu_gate.py} "$repo/submissions/gcn_topk/gcn_topk_model.py" \
  "$stage/code/"
cp "$repo/tools/device/gcn-train-h200.sh" "$stage/"
# optuna is pure Python; sqlalchemy, PyYAML and MarkupSafe are compiled: ask for cp312 wheels. A failed download
# stops the script (only pip's local-index warnings are filtered, on stderr)
ls "$stage"/whl/optuna-*.whl > /dev/null 2>&1 || pip download -q --only-binary=:all: --python-version 3.12 \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
  -d "$stage/whl" "optuna>=4.2,<5" 2> >(grep -v "^WARNING: Location" >&2)
rm -f "$stage"/whl/numpy-*.whl "$stage"/whl/packaging-*.whl  # the device's own numpy (torch's) must stay
ls "$stage/whl"
[[ -f $stage/data/graphs.npz ]] || echo "no $stage/data/graphs.npz yet: run tools/device/gcn_export.py --out $stage/data"
du -sh "$stage"/*
