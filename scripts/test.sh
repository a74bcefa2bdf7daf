#!/usr/bin/env bash
# Installs what is missing, builds (debug), and runs every test. CI runs exactly this.
# Extra arguments go to `swift test` (e.g. `scripts/test.sh --filter Simulation`).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

ensure_swift
ensure_packages "${BUILD_PACKAGES[@]}"

log "building (debug) with tests"
if ! swift build --build-tests >.build-test.log 2>&1; then
    grep -E 'error|warning: unre' .build-test.log | head -50 >&2 || true
    tail -20 .build-test.log >&2
    die "build failed (full log: .build-test.log)"
fi
tail -1 .build-test.log >&2

log "running tests"
exec swift test --skip-build "$@"
