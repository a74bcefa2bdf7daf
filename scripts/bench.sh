#!/usr/bin/env bash
# Benchmarks, run by hand: scripts/bench.sh MODE [ARGS...]
#
#   raft   three Raft nodes in one process over an in-memory transport, each with DiskStorage (real
#          fsync) in a temporary directory: proposals/s and p50/p99 latency with 1, 16 and 64 concurrent
#          proposers (256-byte entries), then 20 leader failovers (median and max time to the first
#          commit through a survivor). ARGS go to raft-bench: --duration S, --trials N, --dir PATH, --json.
#
# Builds release first (a few minutes from scratch). SCRATCH_PATH overrides the build folder (.build).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

mode="${1:-}"
[ $# -gt 0 ] && shift
scratch="${SCRATCH_PATH:-.build}"

case "$mode" in
raft)
    ensure_swift
    log "building raft-bench (release) in $scratch"
    swift build -c release --product raft-bench --scratch-path "$scratch" >&2
    log "running raft-bench $*"
    exec "$scratch/release/raft-bench" "$@"
    ;;
*)
    die "usage: scripts/bench.sh raft [--duration S] [--trials N] [--dir PATH] [--json]"
    ;;
esac
