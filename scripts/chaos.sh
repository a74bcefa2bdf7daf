#!/usr/bin/env bash
# Chaos runs against real clusters whose nodes live in their own network namespaces, each on its own
# loop-mounted disk (root; installs iproute2, nftables and e2fsprogs). The workload, nemesis and checks are Tests/IntegrationTests/Chaos.
#
#   scripts/chaos.sh short                      what CI runs: 40 s of mixed faults, seed 1853
#   scripts/chaos.sh long [DURATION] [options]  DURATION like 30m, 2h, 90s (default 30m); options:
#        --seed N      the nemesis' and clients' choices (default: random, printed)
#        --nodes N     3 to 7 (default 3)      --clients N   1 to 16 (default 4)
#        --faults LIST comma-separated among kill-leader, kill-random, pause-leader, partition-leader,
#                      isolate, loss, restart, member, fill (default: all, mixed)
#        --disk-mib M  each node's own file system (default 128 MiB per minute of the run, at least 1024)
#        --release     run the release binaries (builds them in $SCRATCH_PATH or .build-release)
#   scripts/chaos.sh failover [--trials N]      kill -9 the leader N times (default 20): the time from the
#                                               kill to the first write acknowledged through another
#                                               node; prints median and max
#
# Every mode ends with a summary: operations, faults injected, acknowledged operations checked, violations.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "chaos runs put nodes in network namespaces, which needs root"
ensure_swift
ensure_packages openssl iproute2 nftables e2fsprogs "${BUILD_PACKAGES[@]}"

# seconds_of DURATION: 90s, 30m, 2h, or plain seconds.
seconds_of() {
    case "$1" in
    *h) echo $((${1%h} * 3600)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
    esac
}

# build_binaries RELEASE: the test bundle (debug), and with RELEASE=1 the release pachd and pachctl;
# prints the folder of the binaries the run uses.
build_binaries() {
    log "building (debug) with tests"
    swift build --build-tests >.build-test.log 2>&1 || { tail -20 .build-test.log >&2; die "build failed (.build-test.log)"; }
    if [ "$1" = 1 ]; then
        local scratch="${SCRATCH_PATH:-.build-release}" product
        log "building pachd and pachctl (release) in $scratch"
        for product in pachd pachctl; do
            swift build -c release --product "$product" --scratch-path "$scratch" >&2
        done
        echo "$REPO_ROOT/$scratch/release"
    else
        echo "$REPO_ROOT/.build/debug"
    fi
}

# run_chaos ENV...: the chaos test with ENV, then its summary.
run_chaos() {
    local summary
    summary="$(mktemp /tmp/pach-chaos-summary.XXXXXX)"
    local status=0
    env "$@" CHAOS_SUMMARY="$summary" swift test --skip-build --filter 'IntegrationTests.Chaos' || status=$?
    printf '\n'
    if [ -s "$summary" ]; then cat "$summary"; printf '\n'; else log "the run ended before its checks (see above)"; fi
    rm -f "$summary"
    return "$status"
}

cmd_long() {
    local duration=30m seed="" nodes=3 clients=4 faults="" release=0 disk=""
    if [ $# -gt 0 ] && [[ "$1" != -* ]]; then duration="$1"; shift; fi
    while [ $# -gt 0 ]; do
        case "$1" in
        --seed) seed="$2"; shift 2 ;;
        --nodes) nodes="$2"; shift 2 ;;
        --clients) clients="$2"; shift 2 ;;
        --faults) faults="$2"; shift 2 ;;
        --disk-mib) disk="$2"; shift 2 ;;
        --release) release=1; shift ;;
        *) usage ;;
        esac
    done
    local seconds
    seconds="$(seconds_of "$duration")"
    [[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 10 ] || die "long: the duration must be at least 10s, like 30m (got '$duration')"
    seed="${seed:-$((RANDOM * 32768 + RANDOM))}"
    disk="${disk:-$((seconds / 60 * 128 > 1024 ? seconds / 60 * 128 : 1024))}"
    [[ "$disk" =~ ^[0-9]+$ ]] && [ "$disk" -ge 256 ] || die "long: --disk-mib must be at least 256 (got '$disk')"
    local bin
    bin="$(build_binaries "$release")"
    log "chaos: $duration of faults, seed $seed (CHAOS_SEED=$seed replays the same choices), $disk MiB disks, binaries in $bin"
    run_chaos PACH_BIN_DIR="$bin" CHAOS_SECONDS="$seconds" CHAOS_SEED="$seed" CHAOS_NODES="$nodes" \
        CHAOS_CLIENTS="$clients" CHAOS_FAULTS="$faults" CHAOS_DISK_MIB="$disk"
}

cmd_short() {
    [ $# -eq 0 ] || usage
    local bin
    bin="$(build_binaries 0)"
    run_chaos PACH_BIN_DIR="$bin"
}

cmd_failover() {
    local trials=20
    while [ $# -gt 0 ]; do
        case "$1" in
        --trials) trials="$2"; shift 2 ;;
        *) usage ;;
        esac
    done
    [[ "$trials" =~ ^[1-9][0-9]*$ ]] || die "failover: --trials must be a positive number"
    exec "$REPO_ROOT/scripts/lib/chaos-failover.sh" "$trials"
}

[ $# -gt 0 ] || usage
mode="$1"
shift
case "$mode" in
short) cmd_short "$@" ;;
long) cmd_long "$@" ;;
failover) cmd_failover "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
