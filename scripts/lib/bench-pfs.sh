#!/usr/bin/env bash
# scripts/bench.sh pfs (see there): bench-pfs.sh SCRATCH [--mib N] [--small N] [--entries N]
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

scratch="$1"
shift
mib=1024
small=10000
entries=100000
usage="usage: scripts/bench.sh pfs [--mib N] [--small N] [--entries N]"
while [ $# -gt 0 ]; do
    case "$1" in
    --mib) mib="$2"; shift 2 ;;
    --small) small="$2"; shift 2 ;;
    --entries) entries="$2"; shift 2 ;;
    *) die "$usage" ;;
    esac
done
for n in "$mib" "$small" "$entries"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "$usage (positive integers)"; done

ensure_swift
ensure_packages time python3 "${BUILD_PACKAGES[@]}"
build_release "$scratch" pachd pachctl
pachctl="$bin/pachctl"

# Everything (inputs, copies, the cluster's data) on one disk, so cp is a fair ceiling.
own_cluster bench-pfs 31750 "$bin"

rate() { awk -v bytes="$1" -v start="$2" -v end="$3" 'BEGIN { printf "%.1f", bytes / 1e6 / (end - start) }'; }
per_second() { awk -v n="$1" -v start="$2" -v end="$3" 'BEGIN { printf "%.0f", n / (end - start) }'; }
# peak_rss_mib PID: the process's peak resident set so far (VmHWM), in MiB.
peak_rss_mib() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# timed_rss OUT_VAR CMD...: runs CMD, stores the client's peak RSS in MiB.
timed_rss() {
    local var="$1" file="$work/rss"
    shift
    /usr/bin/time -f '%M' -o "$file" "$@"
    printf -v "$var" '%.0f' "$(awk '{ print $1 / 1024 }' "$file")"
}

bytes=$((mib << 20))
log "1/5 data in $work: one $mib MiB file, $small files of 4 KiB, $entries tiny files in one directory"
head -c "$bytes" /dev/urandom >"$work/big.bin"
python3 - "$work" "$small" "$entries" <<'EOF'
import os, random, sys
work, small, entries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
for i in range(small):
    folder = f"{work}/small/d{i % 100:02d}"
    os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/f{i:06d}", "wb") as f:
        f.write(rng.randbytes(4096))
os.makedirs(f"{work}/flat/dir")
for i in range(entries):
    with open(f"{work}/flat/dir/f{i:07d}", "wb") as f:
        f.write(b"%016d" % i)
EOF
sync

log "2/5 the ceiling: cp of the $mib MiB file to the same disk and back (each followed by sync)"
start="$(now)"; cp "$work/big.bin" "$work/big.copy"; sync; end="$(now)"
cp_in="$(rate "$bytes" "$start" "$end")"
start="$(now)"; cp "$work/big.copy" "$work/big.back"; sync; end="$(now)"
cp_out="$(rate "$bytes" "$start" "$end")"
rm -f "$work/big.copy" "$work/big.back"

log "3/5 a 3-node release cluster (R = 3, mutual TLS) on 127.0.0.1:31751-31753"
own_cluster_sh up 3 >/dev/null
# shellcheck disable=SC1091
source "$work/cluster/env"
pids=()
for k in 1 2 3; do pids+=("$(cat "$work/cluster/node$k/pid")"); done
max_node_rss() { local m=0 r; for p in "${pids[@]}"; do r="$(peak_rss_mib "$p")"; [ "$r" -gt "$m" ] && m="$r"; done; echo "$m"; }
"$pachctl" create repo big
"$pachctl" create repo small
"$pachctl" create repo flat

log "4/5 put file, get file, put -r of small files, list file"
start="$(now)"; timed_rss put_client_rss "$pachctl" put file big@master:/big.bin -f "$work/big.bin"; end="$(now)"
put_rate="$(rate "$bytes" "$start" "$end")"
put_node_rss="$(max_node_rss)"
start="$(now)"; timed_rss get_client_rss "$pachctl" get file big@master:/big.bin -o "$work/big.out"; end="$(now)"
get_rate="$(rate "$bytes" "$start" "$end")"
get_node_rss="$(max_node_rss)"
cmp -s "$work/big.bin" "$work/big.out" || die "get file returned other bytes than were put"
rm -f "$work/big.out"

start="$(now)"; "$pachctl" put file small@master:/ -r -f "$work/small" -p 16; end="$(now)"
small_rate="$(per_second "$small" "$start" "$end")"
small_secs="$(seconds "$start" "$end")"
listed="$("$pachctl" glob file 'small@master:/*/*' -o json | wc -l)"
[ "$listed" -eq "$small" ] || die "the small-file commit lists $listed files, not $small"

start="$(now)"; "$pachctl" put file flat@master:/ -r -f "$work/flat" -p 16; end="$(now)"
flat_rate="$(per_second "$entries" "$start" "$end")"
# The first line's arrival, then the rest counted by wc (a shell loop over 100,000 lines would be
# slower than the listing itself).
start="$(now)"
{
    IFS= read -r _ && now >"$work/list-first"
    count=$(($(wc -l) + 1))
    echo "$count" >"$work/list-count"
} < <("$pachctl" list file flat@master:/dir -o json)
end="$(now)"
first="$(cat "$work/list-first")"
count="$(cat "$work/list-count")"
[ "$count" -eq "$entries" ] || die "list file returned $count entries, not $entries"
list_secs="$(seconds "$start" "$end")"
first_secs="$(seconds "$start" "$first")"
raft_kib="$(du -sk "$work/cluster/node1/raft" | awk '{print $1}')"
chunks_mib="$(du -sm "$work/cluster/node1/chunks" | awk '{print $1}')"

log "5/5 results (MB = 10^6 bytes; peak RSS is VmHWM of the largest pachd, and the client's maximum)"
printf '%-46s %s\n' "put file, one $mib MiB file (R=3)" "$put_rate MB/s   (cp to the same disk + sync: $cp_in MB/s)"
printf '%-46s %s\n' "get file, the same file" "$get_rate MB/s   (cp back + sync: $cp_out MB/s)"
printf '%-46s %s\n' "put -r, $small files of 4 KiB, one commit" "$small_rate files/s ($small_secs s)"
printf '%-46s %s\n' "put -r, $entries files of 16 B in one directory" "$flat_rate files/s"
printf '%-46s %s\n' "list file of $entries entries" "$list_secs s (first entry after $first_secs s)"
printf '%-46s %s\n' "peak RSS after put: pachd (so far) / pachctl" "$put_node_rss MiB / $put_client_rss MiB"
printf '%-46s %s\n' "peak RSS after get: pachd (so far) / pachctl" "$get_node_rss MiB / $get_client_rss MiB"
printf '%-46s %s\n' "node 1 on disk: Raft log + snapshots / chunks" "$raft_kib KiB / $chunks_mib MiB"
