#!/usr/bin/env bash
# Runs HERE: stages this checkout's search harness into REPO/.stage-search for tools/device/search-h100.sh
# (a device call sends REPO's working tree, whose code may differ from this checkout's).
#   bash tools/device/stage-search.sh REPO TVM_CARRY WHEELS_DIR SUBMISSION...
# Leaves REPO/.stage-search/tvm (the repacked TVM of ../shared/device/pack-tvm.sh: carry it alone, with the
# heavy folders out of REPO's tree) and REPO/.stage-search/run (code, wheels, the device script; carry it in
# the next call, on the warm machine). Prints the commit to pass as HARNESS_COMMIT.
set -euo pipefail
repo=${1:?repo} tvm=${2:?tvm carry folder} wheels=${3:?wheels folder}
shift 3
grep -qxF "/.stage-search/" "$repo/.git/info/exclude" || echo "/.stage-search/" >> "$repo/.git/info/exclude"
stage=$repo/.stage-search
rm -rf "$stage/run" && mkdir -p "$stage/run/whl"
[[ -d $stage/tvm ]] || cp -r "$tvm" "$stage/tvm"
cp -r tircost_bench "$stage/run/" && find "$stage/run" -name __pycache__ -prune -exec rm -rf {} +
for sub in "$@"; do mkdir -p "$stage/run/$sub" && cp "$sub"/*.py "$sub"/submission.json "$stage/run/$sub/"; done
cp tools/device/search-h100.sh "$stage/run/" && cp "$wheels"/*.whl "$stage/run/whl/"
du -sh "$stage"/*
git rev-parse HEAD
