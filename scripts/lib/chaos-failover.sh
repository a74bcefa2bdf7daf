#!/usr/bin/env bash
# scripts/chaos.sh failover (see there): chaos-failover.sh TRIALS
# A 3-node --netns cluster of its own (release binaries, port base 32650); TRIALS times: kill -9 the
# leader, then time until a write is acknowledged through one of the other nodes; restart the node
# and wait until all three are up again before the next trial.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

trials="$1"
own_cluster failover 32650

log "a 3-node cluster, each node in its own network namespace (builds release if needed)"
own_cluster_sh up 3 --netns >/dev/null
# shellcheck disable=SC1091
source "$work/cluster/env"
all="$PACHD_ADDRESS"
pachctl create repo failover
echo start | pachctl put file failover@master:/start -f - >/dev/null

# leader_id: the leader the cluster names now (0 when none).
leader_id() {
    pachctl cluster status -o json --timeout 2s 2>/dev/null | grep -oE '"leader_id":[0-9]+' | grep -oE '[0-9]+$' || echo 0
}

# all_up: three nodes up and a leader, as the leader says.
all_up() {
    local out
    out="$(pachctl cluster status --timeout 2s 2>/dev/null)" || return 1
    grep -q 'leader node [1-9], 3/3 nodes up' <<<"$out"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

times=()
for ((trial = 1; trial <= trials; trial++)); do
    deadline=$((SECONDS + 60))
    until all_up; do
        [ $SECONDS -lt $deadline ] || die "trial $trial: the cluster is not whole again after 60 s"
        sleep 0.2
    done
    leader="$(leader_id)"
    [ "$leader" -gt 0 ] || die "trial $trial: no leader"
    survivors="$(tr ',' '\n' <<<"$all" | grep -v "\.$leader:" | paste -sd, -)"
    start="$(now_ms)"
    own_cluster_sh kill "$leader" >/dev/null 2>&1
    give_up=$((SECONDS + 60))
    attempts=0
    until PACHD_ADDRESS="$survivors" pachctl create branch "failover@t$trial" --head master --timeout 1s >/dev/null 2>&1; do
        attempts=$((attempts + 1))
        [ $SECONDS -lt $give_up ] || die "trial $trial: no write acknowledged 60 s after the kill"
    done
    end="$(now_ms)"
    times+=($((end - start)))
    printf '  trial %2d: killed leader %d, first write through %s after %d ms (%d failed tries)\n' \
        "$trial" "$leader" "$survivors" "$((end - start))" "$attempts" >&2
    own_cluster_sh restart "$leader" >/dev/null 2>&1
done

sorted="$(printf '%s\n' "${times[@]}" | sort -n)"
median="$(awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }' <<<"$sorted")"
max="$(tail -1 <<<"$sorted")"
min="$(head -1 <<<"$sorted")"
log "failover summary"
printf 'leader killed (SIGKILL) → first write acknowledged through a survivor, %d trials: median %d ms, max %d ms (min %d ms)\n' \
    "$trials" "$median" "$max" "$min"
