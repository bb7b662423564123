#!/usr/bin/env bash
# Runs HERE: the tracked tree is ~45 MiB and a device call carries at most 64 MiB, TVM's repacked carry ~61 of
# them. Moves folders a device call does not need out of the checkout (to REPO-heavy/ beside it) and back.
#   bash tools/device/slim-tree.sh tvm|gcn|search|restore [REPO]
#     tvm:     everything heavy out (suites baselines leaderboard docs submissions): the call that carries TVM
#     gcn:     suites baselines leaderboard docs out (a GCN training call carries .gcn-stage)
#     search:  baselines leaderboard docs out (the search needs suites/ and the submissions' checkpoints)
#     restore: everything back; run it before any local work (tests and evaluate need the whole tree)
set -euo pipefail
mode=${1:?tvm|gcn|search|restore} repo=$(cd "${2:-.}" && pwd)
heavy="$repo-heavy"
mkdir -p "$heavy"
back() { for d in "$heavy"/*; do [[ -e $d ]] || continue; mv "$d" "$repo/"; done; }  # `|| continue`: set -e
out() { for d in "$@"; do [[ -e $repo/$d ]] || continue; mv "$repo/$d" "$heavy/"; done; }
back
case $mode in
  tvm) out suites baselines leaderboard docs submissions ;;
  gcn) out suites baselines leaderboard docs ;;
  search) out baselines leaderboard docs ;;
  restore) ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
echo "out of the tree: $(ls "$heavy" | tr '\n' ' ')"
echo "tracked bytes left: $(cd "$repo" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)"
