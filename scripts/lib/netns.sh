# shellcheck shell=bash
# Nodes on their own network hosts, and the faults between them. Source it; do not run it.
# Used by scripts/cluster.sh (`up --netns`, partition, isolate, slow, heal) and by Tests/IntegrationTests
# (through bash), so the two cut links the same way.
#
# A network is named by a TAG (letters and digits, at most 9 characters) and a SUBNET prefix (three
# octets, e.g. 10.201.113). Node K lives in namespace <TAG>n<K> with the address SUBNET.K on its eth0,
# one end of a veth pair whose other end (<TAG>v<K>) is a port of the bridge <TAG>br; the bridge holds
# SUBNET.254, so that this host (pachctl, the tests) reaches every node directly. Nothing is routed:
# the subnet exists only on the bridge and in the namespaces, and no packet leaves this machine.
#
# Faults are nftables rules in the node namespaces (table inet pachfault), so they drop packets
# silently, as a pulled cable does; a cut between two nodes is a rule on each side, for both
# directions. Traffic between a node and this host (clients) is never cut. Delay needs the kernel's
# netem queueing discipline; when it is missing (as on some VM kernels) `slow` says so and only loss
# (an nftables random drop) is available.
#
# Needs root, iproute2 and nftables.

NETNS_TABLE=pachfault

netns_ns() { echo "$1n$2"; }
netns_bridge() { echo "$1br"; }
netns_veth() { echo "$1v$2"; }

# netns_check TAG SUBNET: the tools are there, we are root, and TAG and SUBNET are well formed.
netns_check() {
    [[ "$1" =~ ^[a-z][a-z0-9]{0,8}$ ]] || { echo "netns: tag '$1' must be 1-9 lowercase letters or digits" >&2; return 1; }
    [[ "$2" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { echo "netns: subnet '$2' must be three octets, like 10.201.7" >&2; return 1; }
    [ "$(id -u)" -eq 0 ] || { echo "netns: network namespaces need root" >&2; return 1; }
    command -v ip >/dev/null 2>&1 || { echo "netns: ip (iproute2) is missing" >&2; return 1; }
    command -v nft >/dev/null 2>&1 || { echo "netns: nft (nftables) is missing" >&2; return 1; }
}

# netns_exists TAG K
netns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$(netns_ns "$1" "$2")"; }

# netns_bridge_up TAG SUBNET: the bridge with SUBNET.254, unless it is there. Refuses a subnet that this
# host already reaches some other way.
netns_bridge_up() {
    local tag="$1" subnet="$2" br
    br="$(netns_bridge "$tag")"
    if ip link show "$br" >/dev/null 2>&1; then return 0; fi
    if ip -4 route show to match "$subnet.1" 2>/dev/null | grep -qv '^default'; then
        echo "netns: $subnet.0/24 is already routed on this host ($(ip -4 route show to match "$subnet.1" | grep -v '^default' | head -1)); pick another subnet" >&2
        return 1
    fi
    ip link add "$br" type bridge || return 1
    ip addr add "$subnet.254/24" dev "$br" || return 1
    ip link set "$br" up
}

# netns_node_up TAG SUBNET K: node K's namespace, veth and address, and an empty fault table; idempotent.
netns_node_up() {
    local tag="$1" subnet="$2" k="$3" ns veth
    ns="$(netns_ns "$tag" "$k")"
    veth="$(netns_veth "$tag" "$k")"
    netns_bridge_up "$tag" "$subnet" || return 1
    if netns_exists "$tag" "$k" && ip link show "$veth" >/dev/null 2>&1; then return 0; fi
    netns_node_down "$tag" "$k"
    ip netns add "$ns" || return 1
    ip link add "$veth" type veth peer name eth0 netns "$ns" || return 1
    ip link set "$veth" master "$(netns_bridge "$tag")" up || return 1
    ip netns exec "$ns" ip addr add "$subnet.$k/24" dev eth0 || return 1
    ip netns exec "$ns" ip link set eth0 up || return 1
    ip netns exec "$ns" ip link set lo up || return 1
    netns_reset "$tag" "$k"
}

# netns_reset TAG K: no fault on node K (an empty table, no queueing discipline of ours).
netns_reset() {
    local ns
    ns="$(netns_ns "$1" "$2")"
    netns_exists "$1" "$2" || return 0
    ip netns exec "$ns" nft delete table inet "$NETNS_TABLE" 2>/dev/null || true
    ip netns exec "$ns" nft -f - <<EOF || return 1
table inet $NETNS_TABLE {
    chain input { type filter hook input priority 0; policy accept; }
    chain output { type filter hook output priority 0; policy accept; }
}
EOF
    ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null || true
}

# netns_node_down TAG K: kills whatever still runs in node K's namespace, then deletes it and its veth.
# (A namespace outlives `ip netns delete` while a process is inside it, so the processes go first.)
netns_node_down() {
    local tag="$1" k="$2" ns pids
    ns="$(netns_ns "$tag" "$k")"
    if netns_exists "$tag" "$k"; then
        pids="$(ip netns pids "$ns" 2>/dev/null || true)"
        if [ -n "$pids" ]; then
            # shellcheck disable=SC2086
            kill -KILL $pids 2>/dev/null || true
            local i
            for ((i = 0; i < 50; i++)); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
        fi
        ip netns delete "$ns" 2>/dev/null || true
    fi
    ip link delete "$(netns_veth "$tag" "$k")" 2>/dev/null || true
}

# netns_down TAG: every namespace and link of network TAG, and its bridge.
netns_down() {
    local tag="$1" ns k
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${tag}n[0-9]+$" || true); do
        k="${ns#"${tag}n"}"
        netns_node_down "$tag" "$k"
    done
    ip link delete "$(netns_bridge "$tag")" 2>/dev/null || true
}

# netns_leftovers TAG: the namespaces and links of TAG that still exist, one per line (none after down).
netns_leftovers() {
    local tag="$1"
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${tag}n[0-9]+$" || true
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${tag}(br|v[0-9]+)$" || true
}

# netns_exec TAG K CMD...: CMD inside node K's namespace (it replaces this shell).
netns_exec() {
    local ns
    ns="$(netns_ns "$1" "$2")"
    shift 2
    exec ip netns exec "$ns" "$@"
}

# netns_cut TAG SUBNET A B: drops every packet between nodes A and B, both ways, on both sides.
netns_cut() {
    local tag="$1" subnet="$2" a="$3" b="$4" pair
    for pair in "$a $b" "$b $a"; do
        set -- $pair
        ip netns exec "$(netns_ns "$tag" "$1")" nft add rule inet "$NETNS_TABLE" output ip daddr "$subnet.$2" drop || return 1
        ip netns exec "$(netns_ns "$tag" "$1")" nft add rule inet "$NETNS_TABLE" input ip saddr "$subnet.$2" drop || return 1
    done
}

# netns_heal TAG K...: removes every fault of nodes K....
netns_heal() {
    local tag="$1" k
    shift
    for k in "$@"; do netns_reset "$tag" "$k" || return 1; done
}

# netns_partition TAG SUBNET SPEC K...: heals nodes K..., then cuts every link between two different
# groups of SPEC ("1,2|3,4,5"). A node of K... that SPEC does not name keeps all its links.
netns_partition() {
    local tag="$1" subnet="$2" spec="$3"
    shift 3
    netns_heal "$tag" "$@" || return 1
    local groups=() group a b i j
    IFS='|' read -ra groups <<<"$spec"
    for ((i = 0; i < ${#groups[@]}; i++)); do
        for ((j = i + 1; j < ${#groups[@]}; j++)); do
            for a in ${groups[i]//,/ }; do
                for b in ${groups[j]//,/ }; do netns_cut "$tag" "$subnet" "$a" "$b" || return 1; done
            done
        done
    done
}

# netns_check_spec SPEC K...: SPEC is at least two non-empty groups of distinct nodes among K...;
# prints why not and fails otherwise.
netns_check_spec() {
    local spec="$1" groups=() group n seen=" "
    shift
    local members=" $* "
    [[ "$spec" =~ ^[0-9,|]+$ ]] || { echo "a partition is groups of node numbers, like \"1,2|3\"; got '$spec'" >&2; return 1; }
    IFS='|' read -ra groups <<<"$spec"
    [ "${#groups[@]}" -ge 2 ] || { echo "a partition needs at least two groups separated by '|'; got '$spec'" >&2; return 1; }
    for group in "${groups[@]}"; do
        [[ "$group" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "'$group' is not a comma-separated list of node numbers (in '$spec')" >&2; return 1; }
        for n in ${group//,/ }; do
            [[ "$members" == *" $n "* ]] || { echo "there is no node $n; nodes are$(printf ' %s' "$@")" >&2; return 1; }
            [[ "$seen" != *" $n "* ]] || { echo "node $n is in two groups of '$spec'" >&2; return 1; }
            seen+="$n "
        done
    done
}

# netns_has_netem: whether this kernel has the netem queueing discipline (probed in a scratch namespace).
netns_has_netem() {
    local ns="pachprobe$$" ok=1
    ip netns add "$ns" 2>/dev/null || return 1
    ip netns exec "$ns" ip link set lo up 2>/dev/null
    ip netns exec "$ns" tc qdisc add dev lo root netem delay 1ms 2>/dev/null && ok=0
    ip netns delete "$ns" 2>/dev/null
    return $ok
}

# netns_slow TAG K DELAY_MS LOSS_PERCENT: every packet node K sends waits DELAY_MS (netem; 0 for none)
# and each packet in or out is dropped with probability LOSS_PERCENT (0-100). Replaces K's earlier
# slow-down; leaves its cuts.
netns_slow() {
    local tag="$1" k="$2" delay="$3" loss="$4" ns
    ns="$(netns_ns "$tag" "$k")"
    ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null || true
    ip netns exec "$ns" nft delete chain inet "$NETNS_TABLE" loss_in 2>/dev/null || true
    ip netns exec "$ns" nft delete chain inet "$NETNS_TABLE" loss_out 2>/dev/null || true
    if [ "$delay" -gt 0 ]; then
        ip netns exec "$ns" tc qdisc add dev eth0 root netem delay "${delay}ms" || return 1
    fi
    if [ "$loss" -gt 0 ]; then
        ip netns exec "$ns" nft -f - <<EOF2 || return 1
table inet $NETNS_TABLE {
    chain loss_in { type filter hook input priority 10; policy accept; numgen random mod 100 < $loss drop; }
    chain loss_out { type filter hook output priority 10; policy accept; numgen random mod 100 < $loss drop; }
}
EOF2
    fi
}

# netns_faults TAG K: node K's fault rules, one per line (nothing when it has none).
netns_faults() {
    local ns
    ns="$(netns_ns "$1" "$2")"
    netns_exists "$1" "$2" || return 0
    ip netns exec "$ns" nft list table inet "$NETNS_TABLE" 2>/dev/null | grep -E ' drop$' | sed 's/^[[:space:]]*//' || true
    ip netns exec "$ns" tc qdisc show dev eth0 2>/dev/null | grep netem || true
}
