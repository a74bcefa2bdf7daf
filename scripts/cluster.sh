#!/usr/bin/env bash
# A local cluster of pachd nodes on 127.0.0.1 (or each on its own network host), for development and demos.
#
#   scripts/cluster.sh up [N] [--fresh] [--netns] [--disk-mib M]   build (release, once), make certificates,
#                                         start N nodes (default 3); --netns: each in its own network
#                                         namespace; --disk-mib: each on its own M MiB file system
#   scripts/cluster.sh down [--purge]     stop every node (data kept; --purge deletes .cluster/)
#   scripts/cluster.sh status             each node's process, then `pachctl cluster status`
#   scripts/cluster.sh env                the lines that point pachctl at the cluster
#   scripts/cluster.sh kill K             SIGKILL node K (a crash)
#   scripts/cluster.sh stop K             SIGTERM node K (graceful: it hands leadership over first)
#   scripts/cluster.sh pause K | resume K SIGSTOP / SIGCONT node K (a hung process)
#   scripts/cluster.sh restart K          start node K again with exactly the flags it had
#   scripts/cluster.sh logs K [-f]        node K's log (.cluster/node<K>/pachd.log)
#   scripts/cluster.sh add                start a new node that joins as learner and is promoted to voter
#   scripts/cluster.sh remove K           take node K out of the cluster, then stop it
#   scripts/cluster.sh partition "1,2|3"  cut every link between the groups (--netns clusters only)
#   scripts/cluster.sh isolate K          cut node K from every other node (clients still reach it)
#   scripts/cluster.sh slow K [DELAY] [loss P%]   delay (e.g. 100ms; needs netem) and/or drop P% of K's packets
#   scripts/cluster.sh fill K             fill node K's disk to the last block (--disk-mib clusters only)
#   scripts/cluster.sh heal               remove every network fault and every fill
#
# Everything lives under .cluster/ in the repository root:
#   tls/ca.crt, tls/ca.key, tls/node<K>.crt, tls/node<K>.key   the cluster CA and one certificate per node
#   cluster-id, admin-token (mode 600), nodes (the member numbers), env, bin-dir (the binaries of the last `up`)
#   node<K>/   pachd's data dir, plus cmd (its exact command line), pid, pachd.out (stdout/stderr), pachd.log
#   removed/node<K>/   what was left of a removed node (its logs); node numbers are never reused
# Node K listens on 127.0.0.1 only: API 30650+K, peer 30750+K, metrics 30850+K (http://127.0.0.1:30850+K/metrics).
#
# With --netns (root; installs iproute2 and nftables) node K runs in network namespace pach<PORT_BASE>n<K>
# with its own address SUBNET.K (default subnet 10.201.X, X from the port base; PACH_NETNS_SUBNET=a.b.c
# picks another), on a veth pair into the bridge pach<PORT_BASE>br, which holds SUBNET.254 so that
# pachctl on this host reaches every node. The same ports, on that address. Faults are silent drops
# (nftables rules inside the namespaces) between nodes; a client's traffic is never cut. `down` deletes
# the namespaces, links and rules; `up` makes them again. .cluster/netns records "TAG SUBNET".
#
# With --disk-mib M (root) node K's data dir is node<K>/data, an ext4 file system in the sparse image
# node<K>/disk.img, loop-mounted (scripts/lib/disks.sh); its logs and cmd stay outside, on the host's
# disk. `down` unmounts the images (their data stays), `up` and `restart` mount them again.
# .cluster/disk-mib records M.
#
# Environment: PACH_BIN_DIR=DIR uses the pachd and pachctl in DIR and skips the build (later commands,
# and later `up`s, keep using DIR until `up --fresh` or `down --purge`); SCRATCH_PATH=DIR builds in DIR
# instead of .build; PACH_CLUSTER_DIR=DIR keeps the cluster in DIR instead of .cluster/, and
# PACH_PORT_BASE=P moves the ports (API P+K, peer P+100+K, metrics P+200+K), so that a second cluster
# (a benchmark's) runs beside the first. Extra pachd flags for new nodes: PACHD_EXTRA_FLAGS="--flag value ...".
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/tls.sh"
source "$(dirname "$0")/lib/netns.sh"
source "$(dirname "$0")/lib/disks.sh"

CLUSTER_DIR="${PACH_CLUSTER_DIR:-$REPO_ROOT/.cluster}"
TLS_DIR="$CLUSTER_DIR/tls"
HOST=127.0.0.1
PORT_BASE="${PACH_PORT_BASE:-30650}"
API_PORT_BASE=$PORT_BASE
PEER_PORT_BASE=$((PORT_BASE + 100))
METRICS_PORT_BASE=$((PORT_BASE + 200))
MAX_NODES=20
# Node numbers stay below 100 so that the API, peer and metrics port ranges never overlap.
MAX_NODE_ID=99
LEADER_WAIT_S=30
STOP_WAIT_S=15

# usage [STATUS]: the command summary at the top of this file.
usage() {
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
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
# node_data_dir K: pachd's --data-dir for node K (its own file system with --disk-mib).
node_data_dir() { if is_disks; then echo "$(node_dir "$1")/data"; else node_dir "$1"; fi; }
api_address() { echo "$(node_host "$1"):$((API_PORT_BASE + $1))"; }
peer_address() { echo "$(node_host "$1"):$((PEER_PORT_BASE + $1))"; }
metrics_address() { echo "$(node_host "$1"):$((METRICS_PORT_BASE + $1))"; }

# --- own disks (--disk-mib) ------------------------------------------------------------------------

is_disks() { [ -s "$CLUSTER_DIR/disk-mib" ]; }
disk_mib() { cat "$CLUSTER_DIR/disk-mib"; }

require_disks() {
    [ "$(cluster_size)" -gt 0 ] || die "there is no cluster here; run: scripts/cluster.sh up --disk-mib 1024"
    is_disks || die "disk faults need nodes on their own file systems; start over with: scripts/cluster.sh up $(cluster_size) --fresh --disk-mib 1024"
}

# detach_views: lazily detaches the FUSE views of datum inputs that killed nodes left mounted under the
# cluster folder (a node that stops normally unmounts its own; a restarted one detaches a dead one).
detach_views() {
    local point
    awk -v dir="$CLUSTER_DIR/" '$3 ~ /^fuse/ && index($2, dir) == 1 { print $2 }' /proc/mounts | while read -r point; do
        umount -l "$point" 2>/dev/null || fusermount -u -z "$point" 2>/dev/null || log "could not detach $point"
    done
}

# unmount_disks: unmounts every node's disk (members and removed nodes); data stays in the images.
unmount_disks() {
    local dir
    for dir in "$CLUSTER_DIR"/node* "$CLUSTER_DIR"/removed/node*; do
        [ -d "$dir" ] || continue
        disk_unmount "$dir" || log "could not unmount $dir/data"
    done
}

# --- own network hosts (--netns) --------------------------------------------------------------------

is_netns() { [ -s "$CLUSTER_DIR/netns" ]; }
net_tag() { awk '{print $1}' "$CLUSTER_DIR/netns"; }
net_subnet() { awk '{print $2}' "$CLUSTER_DIR/netns"; }

# node_host K: the address node K listens on.
node_host() {
    if is_netns; then echo "$(net_subnet).$1"; else echo "$HOST"; fi
}

# default_subnet: PACH_NETNS_SUBNET, else one derived from the port base (so that clusters on other
# port bases, a test's say, get other subnets).
default_subnet() { echo "${PACH_NETNS_SUBNET:-10.201.$(((PORT_BASE / 50) % 250))}"; }

require_netns() {
    [ "$(cluster_size)" -gt 0 ] || die "there is no cluster here; run: scripts/cluster.sh up --netns"
    is_netns || die "network faults need nodes on their own hosts; start over with: scripts/cluster.sh up $(cluster_size) --fresh --netns"
    netns_check "$(net_tag)" "$(net_subnet)" || die "cannot manage the network namespaces here"
    local k
    for k in $(node_ids); do
        netns_exists "$(net_tag)" "$k" || die "node $k has no network namespace (the cluster is down?); run: scripts/cluster.sh up"
    done
}

# node_ids: the numbers of the member nodes, ascending (from .cluster/nodes; a cluster made before that
# file existed has nodes 1..size).
node_ids() {
    if [ -f "$CLUSTER_DIR/nodes" ]; then
        sort -n "$CLUSTER_DIR/nodes"
    elif [ -f "$CLUSTER_DIR/size" ]; then
        seq 1 "$(cat "$CLUSTER_DIR/size")"
    fi
}

cluster_size() { node_ids | wc -l; }

is_member() { node_ids | grep -qx -- "$1"; }

# next_node_id: one more than any node number this cluster ever used (removed nodes included).
next_node_id() {
    local max=0 k dir
    for k in $(node_ids); do [ "$k" -gt "$max" ] && max="$k"; done
    for dir in "$CLUSTER_DIR"/node* "$CLUSTER_DIR"/removed/node*; do
        k="${dir##*/node}"
        [[ "$k" =~ ^[0-9]+$ ]] && [ "$k" -gt "$max" ] && max="$k"
    done
    echo $((max + 1))
}

all_api_addresses() {
    local k list=""
    for k in $(node_ids); do list+="${list:+,}$(api_address "$k")"; done
    echo "$list"
}

# peer_list K...: id=peer-address for each K, comma-separated (pachd's --peers).
peer_list() {
    local k list=""
    for k in "$@"; do list+="${list:+,}$k=$(peer_address "$k")"; done
    echo "$list"
}

# ensure_identity K...: the CA, the certificates of nodes K..., the cluster id and the admin token; each
# only if absent.
ensure_identity() {
    local k
    command -v openssl >/dev/null 2>&1 || die "openssl is missing"
    if [ ! -f "$TLS_DIR/ca.crt" ]; then log "making the cluster CA in ${TLS_DIR#"$REPO_ROOT"/}"; fi
    tls_make_ca "$TLS_DIR" "pachyderm-swift local cluster CA" || die "could not make the cluster CA"
    for k in "$@"; do
        tls_make_node_cert "$TLS_DIR" "$k" "$(node_host "$k")" || die "could not make the certificate of node $k"
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

# write_node_cmd K PEERS [--join]: .cluster/node<K>/cmd, one argument per line (so restart repeats it
# exactly). PEERS is pachd's --peers: the founders for a founder, the members to ask for a joining node.
write_node_cmd() {
    local k="$1" peers="$2" dir
    shift 2
    dir="$(node_dir "$k")"
    mkdir -p "$dir"
    local extra=()
    # On its own small disk the chunk store leaves an eighth of it (not the default 1GiB) to the Raft log.
    if is_disks; then extra+=(--chunk-reserve "$(($(disk_mib) / 8))MiB"); fi
    local more=()
    read -ra more <<<"${PACHD_EXTRA_FLAGS:-}"
    extra+=("${more[@]}")
    printf '%s\n' "$(pachd_bin)" "$@" "${extra[@]}" \
        --id "$k" --data-dir "$(node_data_dir "$k")" \
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
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$(node_data_dir "$1")"
}

is_paused() {
    local pid
    pid="$(node_pid "$1")"
    [ -n "$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)" = "T" ]
}

# port_in_use HOST PORT: something accepts connections on HOST:PORT.
port_in_use() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# start_node K: runs .cluster/node<K>/cmd in the background, in its own session, detached from this shell.
start_node() {
    local k="$1" dir port argv
    dir="$(node_dir "$k")"
    [ -f "$dir/cmd" ] || die "node $k has no recorded command line ($dir/cmd); run: scripts/cluster.sh up"
    mapfile -t argv <"$dir/cmd"
    [ -x "${argv[0]}" ] || die "node $k's binary ${argv[0]} is missing; run: scripts/cluster.sh up"
    local host wrap=()
    host="$(node_host "$k")"
    if is_disks; then disk_ensure "$dir" "$(disk_mib)" || die "could not mount node $k's disk $dir/disk.img"; fi
    if is_netns; then
        netns_node_up "$(net_tag)" "$(net_subnet)" "$k" || die "could not make node $k's network namespace"
        wrap=(ip netns exec "$(netns_ns "$(net_tag)" "$k")")
    fi
    for port in $((API_PORT_BASE + k)) $((PEER_PORT_BASE + k)) $((METRICS_PORT_BASE + k)); do
        if port_in_use "$host" "$port"; then die "port $host:$port (node $k) is already in use by another process"; fi
    done
    rm -f "$dir/pid"
    # The inner bash records its own pid and then becomes pachd (exec keeps the pid), so the pid file is
    # right even if setsid had to fork. `ip netns exec` execs too.
    (cd "$REPO_ROOT" && exec "${wrap[@]}" setsid bash -c 'echo $$ >"$0"; exec nohup "$@"' "$dir/pid" "${argv[@]}" \
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
    local deadline=$((SECONDS + LEADER_WAIT_S)) out="" k
    printf '    waiting for a leader ' >&2
    while [ $SECONDS -lt $deadline ]; do
        for k in $(node_ids); do
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
    [[ "$k" =~ ^[1-9][0-9]*$ ]] || die "'$k' is not a node number; nodes are $(node_ids | paste -sd, -)"
    is_member "$k" || die "there is no node $k; nodes are $(node_ids | paste -sd, -)"
    [ -d "$(node_dir "$k")" ] || die "node $k has no directory $(node_dir "$k"); run: scripts/cluster.sh up"
}

require_running() {
    require_node "$1"
    is_running "$1" || die "node $1 is not running (scripts/cluster.sh restart $1 starts it)"
}

# --- commands ---------------------------------------------------------------------------------------

cmd_up() {
    local n="" fresh=0 netns=0 disks="" arg k
    while [ $# -gt 0 ]; do
        arg="$1"
        shift
        case "$arg" in
        --fresh) fresh=1 ;;
        --netns) netns=1 ;;
        --disk-mib)
            [[ "${1:-}" =~ ^[1-9][0-9]*$ ]] && [ "$1" -ge 64 ] || die "up: --disk-mib needs a size in MiB of at least 64, not '${1:-}'"
            disks="$1"
            shift
            ;;
        -*) die "up: unknown option '$arg' (usage: up [N] [--fresh] [--netns] [--disk-mib M])" ;;
        *) [ -z "$n" ] || die "up: more than one node count given"; n="$arg" ;;
        esac
    done
    if [ -n "$n" ]; then
        [[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le "$MAX_NODES" ] || die "up: N must be a number from 1 to $MAX_NODES, not '$n'"
    fi
    if [ "$fresh" = 1 ] && [ -d "$CLUSTER_DIR" ]; then
        log "--fresh: stopping any running node and deleting .cluster/"
        stop_all
        detach_views
        unmount_disks
        rm -rf -- "$CLUSTER_DIR"
    fi
    local size
    size="$(cluster_size)"
    if [ "$size" -gt 0 ] && [ -n "$n" ] && [ "$n" != "$size" ]; then
        die "this cluster has $size nodes; run 'up' (or 'up $size'), or start over with 'up $n --fresh'"
    fi
    n="${n:-$((size > 0 ? size : 3))}"
    if [ "$netns" = 1 ] && [ "$size" -gt 0 ] && ! is_netns; then
        die "this cluster's nodes share 127.0.0.1 (their certificates name it); start over with 'up $n --fresh --netns'"
    fi
    if [ -n "$disks" ] && [ "$size" -gt 0 ] && [ "$disks" != "$(is_disks && disk_mib)" ]; then
        die "this cluster's nodes keep their data $(is_disks && echo "on $(disk_mib) MiB disks" || echo "on this host's disk"); start over with 'up $n --fresh --disk-mib $disks'"
    fi
    if [ "$size" -eq 0 ]; then rm -f "$CLUSTER_DIR/netns" "$CLUSTER_DIR/disk-mib"; fi
    if [ -n "$disks" ] && [ "$size" -eq 0 ]; then
        [ "$(id -u)" = 0 ] || die "up --disk-mib: mounting the nodes' disks needs root"
        ensure_packages e2fsprogs util-linux mount
        mkdir -p "$CLUSTER_DIR"
        echo "$disks" >"$CLUSTER_DIR/disk-mib"
    fi
    if [ "$netns" = 1 ] || is_netns; then
        ensure_packages iproute2 nftables
        local tag="pach$PORT_BASE" subnet
        subnet="$(is_netns && net_subnet || default_subnet)"
        netns_check "$tag" "$subnet" || die "up --netns: cannot make network namespaces here"
        mkdir -p "$CLUSTER_DIR"
        echo "$tag $subnet" >"$CLUSTER_DIR/netns"
        netns_bridge_up "$tag" "$subnet" || die "up --netns: could not make the bridge $(netns_bridge "$tag")"
    fi

    local running=0
    for k in $(node_ids); do
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
    if [ "$size" -eq 0 ]; then
        seq 1 "$n" >"$CLUSTER_DIR/nodes.new"
        mv "$CLUSTER_DIR/nodes.new" "$CLUSTER_DIR/nodes"
    elif [ ! -f "$CLUSTER_DIR/nodes" ]; then
        node_ids >"$CLUSTER_DIR/nodes"
    fi
    rm -f "$CLUSTER_DIR/size"
    ensure_identity $(node_ids)
    log "starting $n node(s)"
    for k in $(node_ids); do
        if is_running "$k"; then
            printf '    node %d: already running (pid %s)\n' "$k" "$(node_pid "$k")" >&2
        else
            if [ -f "$(node_dir "$k")/cmd" ]; then
                # Keep its flags (a node that joined keeps --join); use this build's binary.
                sed -i "1s|.*|$(pachd_bin)|" "$(node_dir "$k")/cmd"
            else
                write_node_cmd "$k" "$(peer_list $(node_ids))"
            fi
            start_node "$k"
        fi
    done
    wait_for_leader
    write_env
    log "the cluster is up: $n node(s), logs in .cluster/node<K>/pachd.log"
    print_env
}

# stop_all: SIGTERM every running node, wait, SIGKILL stragglers.
stop_all() {
    local k any=0 deadline
    for k in $(node_ids); do
        if is_running "$k"; then signal_node "$k" TERM; any=1; fi
    done
    [ "$any" = 1 ] || return 0
    deadline=$((SECONDS + STOP_WAIT_S))
    for k in $(node_ids); do
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
    if is_disks; then
        unmount_disks
        log "unmounted the nodes' disks (their images stay in .cluster/node<K>/disk.img)"
    fi
    if is_netns; then
        netns_down "$(net_tag)"
        [ -z "$(netns_leftovers "$(net_tag)")" ] || log "some namespaces or links of $(net_tag) are still there: $(netns_leftovers "$(net_tag)" | paste -sd' ' -)"
        log "deleted the network namespaces, links and fault rules of $(net_tag)"
    fi
    detach_views
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
    printf '%-5s %-8s %-8s %-21s %-21s %s\n' NODE PID STATE API PEER METRICS
    for k in $(node_ids); do
        pid="$(node_pid "$k")"
        if is_running "$k"; then
            if is_paused "$k"; then state=paused; else state=running; fi
        else
            state=down
            pid="${pid:+($pid)}"
        fi
        printf '%-5s %-8s %-8s %-21s %-21s %s\n' "$k" "${pid:--}" "$state" \
            "$(api_address "$k")" "$(peer_address "$k")" "http://$(metrics_address "$k")/metrics"
    done
    if is_netns; then
        local faults
        for k in $(node_ids); do
            faults="$(netns_faults "$(net_tag)" "$k" | paste -sd';' - | sed 's/;/; /g')"
            [ -z "$faults" ] || printf 'node %s network faults: %s\n' "$k" "$faults"
        done
    fi
    if is_disks; then
        for k in $(node_ids); do printf 'node %s disk: %s\n' "$k" "$(disk_state "$(node_dir "$k")")"; done
    fi
    printf '\n'
    local any=0
    for k in $(node_ids); do
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

# node_membership K: node K's membership as the cluster reports it (voter, learner, unknown), or nothing.
node_membership() {
    local out
    out="$(run_pachctl cluster status -o json --timeout 3s 2>/dev/null)" || return 0
    grep -oE "\"id\":[[:space:]]*$1,[^}]*" <<<"$out" | grep -oE '"membership":[[:space:]]*"[a-z]+"' \
        | grep -oE '[a-z]+"$' | tr -d '"' || true
}

any_running() {
    local k
    for k in $(node_ids); do if is_running "$k"; then return 0; fi; done
    return 1
}

cmd_add() {
    [ "$(cluster_size)" -gt 0 ] || die "there is no cluster here; run: scripts/cluster.sh up"
    any_running || die "no node is running: the new node needs a member to admit it (scripts/cluster.sh up)"
    local k deadline state="" last=""
    k="$(next_node_id)"
    [ "$k" -le "$MAX_NODE_ID" ] || die "node numbers are used up to $MAX_NODE_ID; start over with up --fresh"
    ensure_identity "$k"
    # The new node asks the members in its --peers to admit it; it lists itself too (its own address).
    write_node_cmd "$k" "$(peer_list $(node_ids) "$k")" --join
    log "starting node $k; it asks the members to admit it"
    start_node "$k"
    echo "$k" >>"$CLUSTER_DIR/nodes"
    write_env
    deadline=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ]; do
        if ! is_running "$k"; then
            show_output_tail "$k"
            die "node $k exited (log: $(node_dir "$k")/pachd.log); scripts/cluster.sh remove $k forgets it"
        fi
        state="$(node_membership "$k")"
        if [ "$state" != "$last" ] && [ -n "$state" ]; then printf '    node %d: %s\n' "$k" "$state" >&2; last="$state"; fi
        if [ "$state" = voter ]; then
            log "node $k joined: api $(api_address "$k"); .cluster/env now lists it"
            return 0
        fi
        sleep 0.5
    done
    die "node $k is not a voter after 60s (last seen: ${state:-not a member}); see scripts/cluster.sh logs $k"
}

cmd_remove() {
    [ $# -eq 1 ] || die "usage: remove K"
    local k="$1" out
    require_node "$k"
    [ "$(cluster_size)" -gt 1 ] || die "node $k is the last node; use scripts/cluster.sh down to stop the cluster"
    if out="$(run_pachctl cluster remove-node "$k" 2>&1)"; then
        log "node $k is out of the cluster"
    elif grep -q "not a member" <<<"$out"; then
        log "node $k was not a member any more"
    else
        printf '%s\n' "$out" >&2
        die "could not remove node $k (nothing changed here; retry, or check scripts/cluster.sh status)"
    fi
    if is_running "$k"; then
        signal_node "$k" TERM
        wait_exit "$k" "$STOP_WAIT_S" || { signal_node "$k" KILL; wait_exit "$k" 5 || true; }
    fi
    if is_netns; then netns_node_down "$(net_tag)" "$k"; fi
    if is_disks; then disk_unmount "$(node_dir "$k")" || log "could not unmount node $k's disk"; fi
    mkdir -p "$CLUSTER_DIR/removed"
    rm -rf -- "$CLUSTER_DIR/removed/node$k"
    mv -- "$(node_dir "$k")" "$CLUSTER_DIR/removed/node$k"
    grep -vx -- "$k" "$CLUSTER_DIR/nodes" >"$CLUSTER_DIR/nodes.new" || true
    mv "$CLUSTER_DIR/nodes.new" "$CLUSTER_DIR/nodes"
    write_env
    log "node $k stopped; its logs are in .cluster/removed/node$k; .cluster/env no longer lists it"
}

# --- network faults (--netns) -----------------------------------------------------------------------

cmd_partition() {
    [ $# -eq 1 ] || die 'usage: partition "1,2|3,4,5" (every link between two groups is cut)'
    require_netns
    local why
    why="$(netns_check_spec "$1" $(node_ids) 2>&1)" || die "partition: $why; nothing changed"
    netns_partition "$(net_tag)" "$(net_subnet)" "$1" $(node_ids) || die "partition: could not install the rules (scripts/cluster.sh heal clears them)"
    log "partitioned $1: nodes in different groups no longer reach each other (clients reach every node); scripts/cluster.sh heal undoes it"
}

cmd_isolate() {
    [ $# -eq 1 ] || die "usage: isolate K"
    require_netns
    require_node "$1"
    local k others=""
    for k in $(node_ids); do [ "$k" = "$1" ] || others+="${others:+,}$k"; done
    [ -n "$others" ] || die "node $1 is the only node"
    netns_partition "$(net_tag)" "$(net_subnet)" "$1|$others" $(node_ids) || die "isolate: could not install the rules (scripts/cluster.sh heal clears them)"
    log "node $1 is cut off from nodes $others (clients still reach it); scripts/cluster.sh heal undoes it"
}

cmd_slow() {
    local usage="usage: slow K [DELAY] [loss P%]   e.g. slow 2 100ms, slow 2 loss 5%, slow 2 50ms loss 1%"
    [ $# -ge 2 ] || die "$usage"
    local k="$1" delay=0 loss=0
    shift
    require_netns
    require_node "$k"
    if [[ "${1:-}" =~ ^([0-9]+)ms$ ]]; then delay="${BASH_REMATCH[1]}"; shift; fi
    if [ "${1:-}" = loss ]; then
        [[ "${2:-}" =~ ^([0-9]+)%?$ ]] && [ "${BASH_REMATCH[1]}" -le 100 ] || die "loss must be a percentage from 0 to 100, like 5%; $usage"
        loss="${BASH_REMATCH[1]}"
        shift 2
    fi
    [ $# -eq 0 ] || die "slow: unexpected '$1'; $usage"
    [ "$delay" -gt 0 ] || [ "$loss" -gt 0 ] || die "slow: give a delay, a loss or both; $usage"
    if [ "$delay" -gt 0 ] && ! netns_has_netem; then
        die "this kernel has no netem queueing discipline (sch_netem), so links cannot be delayed here; loss works: scripts/cluster.sh slow $k loss 5%"
    fi
    netns_slow "$(net_tag)" "$k" "$delay" "$loss" || die "slow: could not install the rules (scripts/cluster.sh heal clears them)"
    local what=()
    [ "$delay" -eq 0 ] || what+=("what it sends waits ${delay}ms")
    [ "$loss" -eq 0 ] || what+=("${loss}% of its packets in and out are dropped")
    log "node $k: $(IFS=';'; echo "${what[*]}" | sed 's/;/, and /'); scripts/cluster.sh heal undoes it"
}

cmd_heal() {
    [ $# -eq 0 ] || die "usage: heal"
    [ "$(cluster_size)" -gt 0 ] || die "there is no cluster here; run: scripts/cluster.sh up"
    is_netns || is_disks || die "heal: this cluster has no faults to heal (network faults need --netns, disk faults --disk-mib)"
    if is_netns; then
        require_netns
        netns_heal "$(net_tag)" $(node_ids) || die "heal: could not reset the rules"
        log "healed: every link is whole again"
    fi
    if is_disks; then
        local k
        for k in $(node_ids); do disk_unfill "$(node_dir "$k")"; done
        log "healed: no disk is filled"
    fi
}

# --- disk faults (--disk-mib) -----------------------------------------------------------------------

cmd_fill() {
    [ $# -eq 1 ] || die "usage: fill K"
    require_disks
    require_node "$1"
    local dir taken
    dir="$(node_dir "$1")"
    disk_mounted "$dir" || die "node $1's disk is not mounted (the cluster is down?); run: scripts/cluster.sh up"
    taken="$(disk_fill "$dir")" || die "fill: could not fill node $1's disk"
    log "node $1's disk is full ($((taken / 1048576)) MiB of filler in ${dir#"$REPO_ROOT"/}/data/fill); scripts/cluster.sh heal frees it"
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
    add) [ $# -eq 0 ] || die "usage: add"; cmd_add ;;
    remove) cmd_remove "$@" ;;
    partition) cmd_partition "$@" ;;
    isolate) cmd_isolate "$@" ;;
    slow) cmd_slow "$@" ;;
    heal) cmd_heal "$@" ;;
    fill) cmd_fill "$@" ;;
    -h | --help | help) usage 0 ;;
    *) printf 'error: unknown command %s\n\n' "'$cmd'" >&2; usage ;;
    esac
}

main "$@"
