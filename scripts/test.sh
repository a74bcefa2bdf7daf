#!/usr/bin/env bash
# Installs what is missing, builds (debug), and runs every test. CI runs exactly this.
# Extra arguments go to `swift test` (e.g. `scripts/test.sh --filter Simulation`).
#
# `swift build --build-tests` builds the executables too (.build/debug/pachd and pachctl), which
# Tests/IntegrationTests start as real processes. Without arguments, the unit tests run first and the
# integration tests after them, alone: clusters of real nodes on 2 cores next to CPU-heavy simulations
# would make elections, and so the tests' timings, erratic. For the same reason the node's unit tests
# (real sockets, servers answering from the cooperative pool) run before the CPU-heavy suites.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

ensure_swift
# openssl: the integration tests make their CA and node certificates with it (scripts/lib/tls.sh);
# iproute2 and nftables: the network-fault tests put nodes in namespaces and cut links (scripts/lib/netns.sh).
ensure_packages openssl iproute2 nftables e2fsprogs util-linux mount bubblewrap "${BUILD_PACKAGES[@]}"

log "building (debug) with tests"
if ! swift build --build-tests >.build-test.log 2>&1; then
    grep -E 'error|warning: unre' .build-test.log | head -50 >&2 || true
    tail -20 .build-test.log >&2
    die "build failed (full log: .build-test.log)"
fi
tail -1 .build-test.log >&2

if [ $# -gt 0 ]; then
    log "running tests: $*"
    exec swift test --skip-build "$@"
fi

# The last thing printed is a test runner's summary (CI reads it): a unit failure stops here.
log "running the node's unit tests (sockets, servers)"
swift test --skip-build --filter '^NodeTests\.'

log "running the other unit tests (simulations, property tests)"
swift test --skip-build --skip '^(IntegrationTests|NodeTests)\.'

log "running integration tests (real pachd processes, one cluster at a time)"
exec swift test --skip-build --filter '^IntegrationTests\.'
