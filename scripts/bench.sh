#!/usr/bin/env bash
# Benchmarks, run by hand: scripts/bench.sh MODE [ARGS...]
#
#   raft   three Raft nodes in one process over an in-memory transport, each with DiskStorage (real
#          fsync) in a temporary directory: proposals/s and p50/p99 latency with 1, 16 and 64 concurrent
#          proposers (256-byte entries), then 20 leader failovers (median and max time to the first
#          commit through a survivor). ARGS go to raft-bench: --duration S, --trials N, --dir PATH, --json.
#   chunks the chunk store: chunk + SHA-256 + lz4 MiB/s on one core (random and text-like data), then a
#          3-node release cluster of its own (ports 31650+, a temporary directory, torn down after) and
#          `pachctl put object` / `get object` of the same data with R = 3 over mutual TLS; beside them, in
#          the same run, `lz4 -b1` and `openssl speed -evp aes-128-gcm` on this machine. ARGS: --mib N
#          (data set size, default 256).
#   pfs    a 3-node release cluster of its own (ports 31750+, R = 3): put file and get file of one large
#          file beside cp to the same disk, put -r of many 4 KiB files in one commit, put and list file
#          of one directory with many entries, peak RSS of pachd and pachctl, and the Raft log's size.
#          ARGS: --mib N (the large file, default 1024), --small N (default 10000), --entries N
#          (default 100000).
#   jobs   a 3-node release cluster of its own (ports 31850+): a `cp` pipeline over many 1 KiB files
#          (datums/s from create pipeline to the job's end, and the per-datum overhead), then on a fresh
#          cluster with R = 1 a sha256 pipeline over a large input in 64 files (MB/s, and the fraction of
#          input bytes read from the local chunk store). ARGS: --files N (default 10000), --mib N
#          (default 1024).
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
chunks)
    exec "$REPO_ROOT/scripts/lib/bench-chunks.sh" "$scratch" "$@"
    ;;
pfs)
    exec "$REPO_ROOT/scripts/lib/bench-pfs.sh" "$scratch" "$@"
    ;;
jobs)
    exec "$REPO_ROOT/scripts/lib/bench-jobs.sh" "$scratch" "$@"
    ;;
*)
    die "usage: scripts/bench.sh raft [--duration S] [--trials N] [--dir PATH] [--json] | chunks [--mib N] | pfs [--mib N] [--small N] [--entries N] | jobs [--files N] [--mib N]"
    ;;
esac
