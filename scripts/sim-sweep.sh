#!/usr/bin/env bash
# A long random sweep of the Raft simulation, run by hand: scripts/sim-sweep.sh [FIRST [COUNT]]
# Each seed is a whole simulated cluster run (faults, crashes, membership changes); a failure prints
# the seed, and `SIM_SEED=n swift test --filter Simulation` replays it exactly.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"
first="${1:-$(( ($(date +%s) % 1000000) * 1000 ))}"
count="${2:-500}"
last=$(( first + count - 1 ))
log "simulating seeds $first-$last"
ensure_swift
swift build --build-tests -c release -Xswiftc -enable-testing --scratch-path .build-sweep >&2
SIM_SEEDS="$first-$last" swift test -c release -Xswiftc -enable-testing --scratch-path .build-sweep \
    --skip-build --filter 'Simulation' 2>&1 | grep -E 'replay with|passed after|failed after' || true
