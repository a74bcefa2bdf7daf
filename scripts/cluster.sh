#!/usr/bin/env bash
# A local cluster of pachd nodes on 127.0.0.1, for development and demos.
#
#   scripts/cluster.sh up [N] [--fresh]   build (release, once), make certificates, start N nodes (default 3)
#   scripts/cluster.sh down [--purge]     stop every node (data kept; --purge deletes .cluster/)
#   scripts/cluster.sh status             each node's process, then `pachctl cluster status`
#   scripts/cluster.sh env                the lines that point pachctl at the cluster
#   scripts/cluster.sh kill K             SIGKILL node K (a crash)
#   scripts/cluster.sh stop K             SIGTERM node K (graceful: it hands leadership over first)
#   scripts/cluster.sh pause K | resume K SIGSTOP / SIGCONT node K (a hung process)
#   scripts/cluster.sh restart K          start node K again with exactly the flags it had
#   scripts/cluster.sh logs K [-f]        node K's log (.cluster/node<K>/pachd.log)
#   scripts/cluster.sh add | remove K     membership changes (not yet available)
#
# Everything lives under .cluster/ in the repository root:
#   tls/ca.crt, tls/ca.key, tls/node<K>.crt, tls/node<K>.key   the cluster CA and one certificate per node
#   cluster-id, admin-token (mode 600), size, env, bin-dir (where the binaries of the last `up` are)
#   node<K>/   pachd's data dir, plus cmd (its exact command line), pid, pachd.out (stdout/stderr), pachd.log
# Node K listens on 127.0.0.1 only: API 30650+K, peer 30750+K, metrics 30850+K.
#
# Environment: PACH_BIN_DIR=DIR uses the pachd and pachctl in DIR and skips the build (later commands,
# and later `up`s, keep using DIR until `up --fresh` or `down --purge`); SCRATCH_PATH=DIR builds in DIR
# instead of .build.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/tls.sh"

CLUSTER_DIR="$REPO_ROOT/.cluster"
TLS_DIR="$CLUSTER_DIR/tls"
HOST=127.0.0.1
API_PORT_BASE=30650
PEER_PORT_BASE=30750
METRICS_PORT_BASE=30850
MAX_NODES=20
LEADER_WAIT_S=30
STOP_WAIT_S=15

# usage [STATUS]: the command summary at the top of this file.
usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

# --- binaries ---------------------------------------------------------------------------------------

# release_dir: where `swift build -c release` puts the binaries.
release_dir() {
    local scratch="${SCRATCH_PATH:-.build}"
    case "$scratch" in /*) ;; *) scratch="$REPO_ROOT/$scratch" ;; esac
    echo "$scratch/release"
}

# bin_dir: PACH_BIN_DIR if set, else the folder `up` used last (.cluster/bin-dir), else the release build.
bin_dir() {
    if [ -n "${PACH_BIN_DIR:-}" ]; then
        (cd "$PACH_BIN_DIR" && pwd)
    elif [ -s "$CLUSTER_DIR/bin-dir" ]; then
        cat "$CLUSTER_DIR/bin-dir"
    else
        release_dir
    fi
}

has_binaries() { [ -x "$1/pachd" ] && [ -x "$1/pachctl" ]; }

# build_release: makes sure bin_dir holds pachd and pachctl. With PACH_BIN_DIR (or a folder recorded
# from it by an earlier `up`) nothing is built; otherwise the release build, which SwiftPM skips when it
# is up to date. SwiftPM takes one --product per invocation, so there are two; the second reuses
# everything the first compiled.
build_release() {
    local bin release
    bin="$(bin_dir)"
    release="$(release_dir)"
    if [ -n "${PACH_BIN_DIR:-}" ]; then
        has_binaries "$bin" || die "PACH_BIN_DIR=$PACH_BIN_DIR has no pachd and pachctl"
        log "using pachd and pachctl from $bin (PACH_BIN_DIR; not building)"
        return 0
    fi
    if [ "$bin" != "$release" ] && has_binaries "$bin"; then
        log "using pachd and pachctl from $bin, as the last up did (up --fresh or down --purge forgets it)"
        return 0
    fi
    rm -f "$CLUSTER_DIR/bin-dir"
    ensure_swift
    if has_binaries "$release"; then
        log "checking that the release build is up to date"
    else
        log "building pachd and pachctl (release); a first build takes ~20 min on 2 cores"
    fi
    mkdir -p "$CLUSTER_DIR"
    local build_log="$CLUSTER_DIR/build.log" product scratch="${SCRATCH_PATH:-.build}"
    : >"$build_log"
    # The build runs in the foreground so that Ctrl-C reaches it (and SwiftPM stops its compilers);
    # only the progress line runs in the background.
    for product in pachd pachctl; do
        show_build_progress "$build_log" "$product" &
        local progress_pid=$!
        if ! (cd "$REPO_ROOT" && swift build -c release --scratch-path "$scratch" --product "$product") \
            >>"$build_log" 2>&1; then
            kill "$progress_pid" 2>/dev/null || true
            printf '\n' >&2
            grep -E 'error:' "$build_log" | head -30 >&2 || true
            tail -15 "$build_log" >&2
            die "release build of $product failed (full log: $build_log)"
        fi
        kill "$progress_pid" 2>/dev/null || true
        wait "$progress_pid" 2>/dev/null || true
    done
    printf '\r\033[K' >&2
    has_binaries "$release" || die "the build finished but $release has no pachd/pachctl"
}

# show_build_progress LOG PRODUCT: a one-line progress display, until killed or this script is gone.
show_build_progress() {
    local build_log="$1" product="$2" spin='|/-\' i=0 started=$SECONDS step parent=$$
    while kill -0 "$parent" 2>/dev/null; do
        step="$(grep -oE '^\[[0-9]+/[0-9]+\]' "$build_log" 2>/dev/null | tail -1 || true)"
        printf '\r\033[K    %s %s %s %ds' "${spin:i++%4:1}" "$product" "$step" $((SECONDS - started)) >&2
        sleep 1
    done
}

pachctl_bin() { echo "$(bin_dir)/pachctl"; }
pachd_bin() { echo "$(bin_dir)/pachd"; }

# --- cluster files ----------------------------------------------------------------------------------

node_dir() { echo "$CLUSTER_DIR/node$1"; }
api_address() { echo "$HOST:$((API_PORT_BASE + $1))"; }
peer_address() { echo "$HOST:$((PEER_PORT_BASE + $1))"; }
metrics_address() { echo "$HOST:$((METRICS_PORT_BASE + $1))"; }

cluster_size() { [ -f "$CLUSTER_DIR/size" ] && cat "$CLUSTER_DIR/size" || echo 0; }

all_api_addresses() {
    local n k list=""
    n="$(cluster_size)"
    for ((k = 1; k <= n; k++)); do list+="${list:+,}$(api_address "$k")"; done
    echo "$list"
}

# ensure_identity N: the CA, N node certificates, the cluster id and the admin token; each only if absent.
ensure_identity() {
    local n="$1" k
    command -v openssl >/dev/null 2>&1 || die "openssl is missing"
    if [ ! -f "$TLS_DIR/ca.crt" ]; then log "making the cluster CA in ${TLS_DIR#"$REPO_ROOT"/}"; fi
    tls_make_ca "$TLS_DIR" "pachyderm-swift local cluster CA" || die "could not make the cluster CA"
    for ((k = 1; k <= n; k++)); do
        tls_make_node_cert "$TLS_DIR" "$k" || die "could not make the certificate of node $k"
    done
    if [ ! -s "$CLUSTER_DIR/cluster-id" ]; then
        tls_random_hex 16 >"$CLUSTER_DIR/cluster-id"
        log "new cluster id $(cat "$CLUSTER_DIR/cluster-id")"
    fi
    if [ ! -s "$CLUSTER_DIR/admin-token" ]; then
        (umask 077 && tls_random_hex 32 >"$CLUSTER_DIR/admin-token")
    fi
    chmod 600 "$CLUSTER_DIR/admin-token"
}

# write_node_cmd K N: .cluster/node<K>/cmd, one argument per line (so restart repeats it exactly).
write_node_cmd() {
    local k="$1" n="$2" dir peers="" j
    dir="$(node_dir "$k")"
    for ((j = 1; j <= n; j++)); do peers+="${peers:+,}$j=$(peer_address "$j")"; done
    mkdir -p "$dir"
    printf '%s\n' "$(pachd_bin)" \
        --id "$k" --data-dir "$dir" \
        --api-address "$(api_address "$k")" --peer-address "$(peer_address "$k")" \
        --metrics-address "$(metrics_address "$k")" \
        --peers "$peers" \
        --cluster-id "$(cat "$CLUSTER_DIR/cluster-id")" \
        --tls-cert "$TLS_DIR/node$k.crt" --tls-key "$TLS_DIR/node$k.key" --tls-ca "$TLS_DIR/ca.crt" \
        --admin-token-file "$CLUSTER_DIR/admin-token" \
        --log-level info --log-file "$dir/pachd.log" >"$dir/cmd"
}

# --- processes --------------------------------------------------------------------------------------

node_pid() {
    local f
    f="$(node_dir "$1")/pid"
    [ -s "$f" ] && cat "$f" || true
}

# is_running K: node K's recorded pid is alive and is that node's pachd (not a reused pid, not a zombie).
is_running() {
    local pid dir state
    pid="$(node_pid "$1")"
    dir="$(node_dir "$1")"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
    [ "$state" != "Z" ] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$dir"
}

is_paused() {
    local pid
    pid="$(node_pid "$1")"
    [ -n "$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)" = "T" ]
}

# port_in_use PORT: something accepts connections on 127.0.0.1:PORT.
port_in_use() { timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# start_node K: runs .cluster/node<K>/cmd in the background, in its own session, detached from this shell.
start_node() {
    local k="$1" dir port argv
    dir="$(node_dir "$k")"
    [ -f "$dir/cmd" ] || die "node $k has no recorded command line ($dir/cmd); run: scripts/cluster.sh up"
    mapfile -t argv <"$dir/cmd"
    [ -x "${argv[0]}" ] || die "node $k's binary ${argv[0]} is missing; run: scripts/cluster.sh up"
    for port in $((API_PORT_BASE + k)) $((PEER_PORT_BASE + k)) $((METRICS_PORT_BASE + k)); do
        if port_in_use "$port"; then die "port $HOST:$port (node $k) is already in use by another process"; fi
    done
    rm -f "$dir/pid"
    # The inner bash records its own pid and then becomes pachd (exec keeps the pid), so the pid file is
    # right even if setsid had to fork.
    (cd "$REPO_ROOT" && exec setsid bash -c 'echo $$ >"$0"; exec nohup "$@"' "$dir/pid" "${argv[@]}" \
        >"$dir/pachd.out" 2>&1 </dev/null) &
    local i
    for ((i = 0; i < 50; i++)); do [ -s "$dir/pid" ] && break; sleep 0.1; done
    [ -s "$dir/pid" ] || die "node $k did not start (see $dir/pachd.out)"
    printf '    node %d: pid %s, api %s\n' "$k" "$(node_pid "$k")" "$(api_address "$k")" >&2
}

# signal_node K SIGNAL: sends SIGNAL; a paused node also gets SIGCONT so that it can act on a SIGTERM.
signal_node() {
    local pid
    pid="$(node_pid "$1")"
    kill -s "$2" "$pid" 2>/dev/null || true
    if [ "$2" = TERM ]; then kill -s CONT "$pid" 2>/dev/null || true; fi
}

# wait_exit K SECONDS: waits until node K's process is gone; fails on timeout.
wait_exit() {
    local k="$1" deadline=$((SECONDS + $2))
    while is_running "$k"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

show_output_tail() {
    local dir
    dir="$(node_dir "$1")"
    printf -- '--- last lines of %s\n' "${dir#"$REPO_ROOT"/}/pachd.out" >&2
    tail -n 15 "$dir/pachd.out" >&2 2>/dev/null || true
}

# --- pachctl ----------------------------------------------------------------------------------------

# run_pachctl ARGS...: pachctl against the whole cluster, bounded in time.
run_pachctl() {
    PACHD_ADDRESS="$(all_api_addresses)" PACH_CA="$TLS_DIR/ca.crt" PACH_TOKEN="$(cat "$CLUSTER_DIR/admin-token")" \
        timeout 15 "$(pachctl_bin)" "$@"
}

# status_has_leader TEXT: whether `pachctl cluster status` output (JSON or table) names a leader.
status_has_leader() {
    grep -qE '"leader_id":[[:space:]]*[1-9]|: leader node [1-9]' <<<"$1"
}

# wait_for_leader N: until `pachctl cluster status` shows a leader; fails after LEADER_WAIT_S or when a
# node process dies.
wait_for_leader() {
    local n="$1" deadline=$((SECONDS + LEADER_WAIT_S)) out="" k
    printf '    waiting for a leader ' >&2
    while [ $SECONDS -lt $deadline ]; do
        for ((k = 1; k <= n; k++)); do
            if ! is_running "$k"; then
                printf '\n' >&2
                show_output_tail "$k"
                die "node $k exited while the cluster was starting (log: $(node_dir "$k")/pachd.log)"
            fi
        done
        if out="$(run_pachctl cluster status -o json --timeout 3s 2>&1)" && status_has_leader "$out"; then
            printf ' ok\n' >&2
            return 0
        fi
        printf '.' >&2
        sleep 1
    done
    printf '\n' >&2
    printf '%s\n' "$out" >&2
    die "no leader after ${LEADER_WAIT_S}s; the nodes are still running: see scripts/cluster.sh status and logs K"
}

write_env() {
    {
        printf 'export PACHD_ADDRESS=%s\n' "$(all_api_addresses)"
        printf 'export PACH_CA=%s\n' "$TLS_DIR/ca.crt"
        printf 'export PACH_TOKEN=%s\n' "$(cat "$CLUSTER_DIR/admin-token")"
        printf 'export PATH="%s:$PATH"\n' "$(bin_dir)"
    } >"$CLUSTER_DIR/env"
    chmod 600 "$CLUSTER_DIR/env"
}

print_env() {
    [ -f "$CLUSTER_DIR/env" ] || write_env
    printf 'Paste these lines (or run: source .cluster/env):\n\n' >&2
    cat "$CLUSTER_DIR/env"
}

# --- argument checks --------------------------------------------------------------------------------

# require_node K: K names a node of this cluster.
require_node() {
    local k="$1" n
    n="$(cluster_size)"
    [ "$n" -gt 0 ] || die "there is no cluster here; run: scripts/cluster.sh up"
    [[ "$k" =~ ^[1-9][0-9]*$ ]] || die "'$k' is not a node number; nodes are 1..$n"
    [ "$k" -le "$n" ] || die "there is no node $k; nodes are 1..$n"
    [ -d "$(node_dir "$k")" ] || die "node $k has no directory $(node_dir "$k"); run: scripts/cluster.sh up"
}

require_running() {
    require_node "$1"
    is_running "$1" || die "node $1 is not running (scripts/cluster.sh restart $1 starts it)"
}

# --- commands ---------------------------------------------------------------------------------------

cmd_up() {
    local n="" fresh=0 arg k
    for arg in "$@"; do
        case "$arg" in
        --fresh) fresh=1 ;;
        -*) die "up: unknown option '$arg' (usage: up [N] [--fresh])" ;;
        *) [ -z "$n" ] || die "up: more than one node count given"; n="$arg" ;;
        esac
    done
    if [ -n "$n" ]; then
        [[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le "$MAX_NODES" ] || die "up: N must be a number from 1 to $MAX_NODES, not '$n'"
    fi
    if [ "$fresh" = 1 ] && [ -d "$CLUSTER_DIR" ]; then
        log "--fresh: stopping any running node and deleting .cluster/"
        stop_all
        rm -rf -- "$CLUSTER_DIR"
    fi
    local size
    size="$(cluster_size)"
    if [ "$size" -gt 0 ] && [ -n "$n" ] && [ "$n" != "$size" ]; then
        die "this cluster was made with $size nodes; run 'up' (or 'up $size'), or start over with 'up $n --fresh'"
    fi
    n="${n:-$((size > 0 ? size : 3))}"

    local running=0
    for ((k = 1; k <= size; k++)); do
        if is_running "$k"; then running=$((running + 1)); fi
    done
    if [ "$size" -gt 0 ] && [ "$running" -eq "$size" ]; then
        log "the cluster is already up ($size nodes)"
        write_env
        print_env
        return 0
    fi

    ensure_packages openssl "${BUILD_PACKAGES[@]}"
    build_release
    mkdir -p "$CLUSTER_DIR"
    bin_dir >"$CLUSTER_DIR/bin-dir.new"
    mv "$CLUSTER_DIR/bin-dir.new" "$CLUSTER_DIR/bin-dir"
    ensure_identity "$n"
    echo "$n" >"$CLUSTER_DIR/size"
    log "starting $n node(s)"
    for ((k = 1; k <= n; k++)); do
        if is_running "$k"; then
            printf '    node %d: already running (pid %s)\n' "$k" "$(node_pid "$k")" >&2
        else
            write_node_cmd "$k" "$n"
            start_node "$k"
        fi
    done
    wait_for_leader "$n"
    write_env
    log "the cluster is up: $n node(s), logs in .cluster/node<K>/pachd.log"
    print_env
}

# stop_all: SIGTERM every running node, wait, SIGKILL stragglers.
stop_all() {
    local n k any=0 deadline
    n="$(cluster_size)"
    for ((k = 1; k <= n; k++)); do
        if is_running "$k"; then signal_node "$k" TERM; any=1; fi
    done
    [ "$any" = 1 ] || return 0
    deadline=$((SECONDS + STOP_WAIT_S))
    for ((k = 1; k <= n; k++)); do
        while is_running "$k" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        if is_running "$k"; then
            log "node $k did not stop within ${STOP_WAIT_S}s: SIGKILL"
            signal_node "$k" KILL
            wait_exit "$k" 5 || log "node $k (pid $(node_pid "$k")) is still there after SIGKILL"
        fi
    done
}

cmd_down() {
    local purge=0 arg
    for arg in "$@"; do
        case "$arg" in
        --purge) purge=1 ;;
        *) die "down: unknown argument '$arg' (usage: down [--purge])" ;;
        esac
    done
    [ -d "$CLUSTER_DIR" ] || { log "there is no cluster here"; return 0; }
    log "stopping the cluster"
    stop_all
    if [ "$purge" = 1 ]; then
        rm -rf -- "$CLUSTER_DIR"
        log "deleted .cluster/ (data, certificates, token)"
    else
        log "stopped; data kept in .cluster/ (scripts/cluster.sh up starts it again, down --purge deletes it)"
    fi
}

cmd_status() {
    local n k state pid
    n="$(cluster_size)"
    [ "$n" -gt 0 ] || die "there is no cluster here; run: scripts/cluster.sh up"
    printf '%-5s %-8s %-8s %-17s %-17s %s\n' NODE PID STATE API PEER METRICS
    for ((k = 1; k <= n; k++)); do
        pid="$(node_pid "$k")"
        if is_running "$k"; then
            if is_paused "$k"; then state=paused; else state=running; fi
        else
            state=down
            pid="${pid:+($pid)}"
        fi
        printf '%-5s %-8s %-8s %-17s %-17s %s\n' "$k" "${pid:--}" "$state" \
            "$(api_address "$k")" "$(peer_address "$k")" "$(metrics_address "$k")"
    done
    printf '\n'
    local any=0
    for ((k = 1; k <= n; k++)); do
        if is_running "$k"; then any=1; fi
    done
    if [ "$any" = 1 ]; then
        run_pachctl cluster status || log "pachctl cluster status failed (exit $?)"
    else
        log "no node is running (scripts/cluster.sh up starts them)"
    fi
}

cmd_kill() {
    [ $# -eq 1 ] || die "usage: kill K"
    require_running "$1"
    signal_node "$1" KILL
    wait_exit "$1" 5 || die "node $1 is still there after SIGKILL"
    log "node $1 killed (SIGKILL); scripts/cluster.sh restart $1 starts it again"
}

cmd_stop() {
    [ $# -eq 1 ] || die "usage: stop K"
    require_running "$1"
    signal_node "$1" TERM
    wait_exit "$1" "$STOP_WAIT_S" || die "node $1 is still running ${STOP_WAIT_S}s after SIGTERM (scripts/cluster.sh kill $1)"
    log "node $1 stopped (SIGTERM)"
}

cmd_pause() {
    [ $# -eq 1 ] || die "usage: pause K"
    require_running "$1"
    if is_paused "$1"; then die "node $1 is already paused"; fi
    signal_node "$1" STOP
    log "node $1 paused (SIGSTOP); scripts/cluster.sh resume $1 continues it"
}

cmd_resume() {
    [ $# -eq 1 ] || die "usage: resume K"
    require_running "$1"
    if ! is_paused "$1"; then die "node $1 is not paused"; fi
    signal_node "$1" CONT
    log "node $1 resumed (SIGCONT)"
}

cmd_restart() {
    [ $# -eq 1 ] || die "usage: restart K"
    require_node "$1"
    if is_running "$1"; then
        log "node $1 is running: stopping it first (SIGTERM)"
        signal_node "$1" TERM
        wait_exit "$1" "$STOP_WAIT_S" || die "node $1 is still running ${STOP_WAIT_S}s after SIGTERM (scripts/cluster.sh kill $1)"
    fi
    log "starting node $1 with its recorded command line"
    start_node "$1"
    sleep 0.5
    if ! is_running "$1"; then
        show_output_tail "$1"
        die "node $1 exited right after starting"
    fi
}

cmd_logs() {
    local k="" follow=0 arg
    for arg in "$@"; do
        case "$arg" in
        -f | --follow) follow=1 ;;
        *) [ -z "$k" ] || die "usage: logs K [-f]"; k="$arg" ;;
        esac
    done
    [ -n "$k" ] || die "usage: logs K [-f]"
    require_node "$k"
    local file
    file="$(node_dir "$k")/pachd.log"
    if [ ! -f "$file" ]; then
        log "node $k has no pachd.log; showing its stdout/stderr (pachd.out)"
        file="$(node_dir "$k")/pachd.out"
        [ -f "$file" ] || die "node $k has written no log yet"
    fi
    if [ "$follow" = 1 ]; then exec tail -n 50 -F "$file"; else cat "$file"; fi
}

cmd_membership() {
    die "$1 is not yet available: needs the membership API (pachd has no call to add or remove a member yet)"
}

main() {
    [ $# -gt 0 ] || usage
    local cmd="$1"
    shift
    case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) [ $# -eq 0 ] || die "usage: status"; cmd_status ;;
    env) [ "$(cluster_size)" -gt 0 ] || die "there is no cluster here; run: scripts/cluster.sh up"; print_env ;;
    kill) cmd_kill "$@" ;;
    stop) cmd_stop "$@" ;;
    pause) cmd_pause "$@" ;;
    resume) cmd_resume "$@" ;;
    restart) cmd_restart "$@" ;;
    logs) cmd_logs "$@" ;;
    add) [ $# -eq 0 ] || die "usage: add"; cmd_membership "add" ;;
    remove) [ $# -eq 1 ] || die "usage: remove K"; require_node "$1"; cmd_membership "remove" ;;
    -h | --help | help) usage 0 ;;
    *) printf 'error: unknown command %s\n\n' "'$cmd'" >&2; usage ;;
    esac
}

main "$@"
