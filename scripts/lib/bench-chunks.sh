#!/usr/bin/env bash
# scripts/bench.sh chunks (see there): bench-chunks.sh SCRATCH [--mib N]
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

scratch="$1"
shift
mib=256
while [ $# -gt 0 ]; do
    case "$1" in
    --mib) mib="$2"; shift 2 ;;
    *) die "usage: scripts/bench.sh chunks [--mib N]" ;;
    esac
done

ensure_swift
ensure_packages openssl lz4 "${BUILD_PACKAGES[@]}"
build_release "$scratch" chunk-bench pachd pachctl

own_cluster bench-chunks 31650 "$bin"

log "data: $mib MiB random and $mib MiB text-like, in $work"
"$bin/chunk-bench" --emit-random "$work/random.bin" --mib "$mib"
"$bin/chunk-bench" --emit-text "$work/text.bin" --mib "$mib"

log "1/4 chunk-bench: one core, no network, no disk"
"$bin/chunk-bench" --mib "$((mib < 128 ? mib : 128))" --rounds 3

# lz4 -b1: "1#text.bin : N -> M (R), C MB/s, D MB/s" (MB = 10^6 bytes).
lz4_compress_mbs() { lz4 -b1 -i3 "$1" 2>&1 | tr '\r' '\n' | grep -E 'MB/s' | tail -1 | sed -E 's/.*\),[[:space:]]*([0-9.]+) MB\/s.*/\1/'; }
log "2/4 the machine's limits: lz4 -b1, openssl aes-128-gcm"
lz4_text="$(lz4_compress_mbs "$work/text.bin")"
lz4_random="$(lz4_compress_mbs "$work/random.bin")"
# openssl speed's last line: the 16384-byte column, in thousands of bytes per second.
aes="$(openssl speed -evp aes-128-gcm -seconds 2 2>/dev/null | tail -1 | awk '{v=$NF; sub(/k$/, "", v); printf "%.0f", v / 1000}')"
printf '    lz4 -b1 compress: text %s MB/s, random %s MB/s; aes-128-gcm (16 KiB blocks): %s MB/s\n' \
    "$lz4_text" "$lz4_random" "$aes" >&2

log "3/4 a 3-node release cluster (R = 3, mutual TLS) on 127.0.0.1:31651-31653"
own_cluster_sh up 3 >/dev/null
# shellcheck disable=SC1091
source "$work/cluster/env"

rate() { awk -v bytes="$1" -v start="$2" -v end="$3" 'BEGIN { printf "%.1f", bytes / 1e6 / (end - start) }'; }
bytes=$((mib << 20))
results=()
for data in text random; do
    start="$(now)"
    id="$("$bin/pachctl" put object "$work/$data.bin")"
    end="$(now)"
    put_rate="$(rate "$bytes" "$start" "$end")"
    start="$(now)"
    "$bin/pachctl" get object "$id" -o "$work/$data.out"
    end="$(now)"
    get_rate="$(rate "$bytes" "$start" "$end")"
    cmp -s "$work/$data.bin" "$work/$data.out" || die "get object of the $data data returned other bytes"
    rm -f "$work/$data.out"
    results+=("$data $put_rate $get_rate")
done
stored="$(du -sb "$work/cluster/node1/chunks/chunks" | awk '{print $1}')"

log "4/4 results ($mib MiB per data set; MB = 10^6 bytes)"
printf '%-8s %-22s %-22s %-28s\n' DATA "PUT OBJECT (R=3) MB/s" "GET OBJECT MB/s" "PUT / lz4 -b1 COMPRESS"
for row in "${results[@]}"; do
    read -r data put get <<<"$row"
    ratio="n/a (lz4 skips incompressible data at $lz4_random MB/s)"
    if [ "$data" = text ]; then
        ratio="$(awk -v a="$put" -v b="$lz4_text" 'BEGIN { printf "%.0f%% of %s MB/s", 100 * a / b, b }')"
    fi
    printf '%-8s %-22s %-22s %s\n' "$data" "$put" "$get" "$ratio"
done
printf 'node 1 stores %s MiB on disk for %s MiB of input (both data sets, lz4 frames)\n' \
    "$((stored >> 20))" "$((2 * mib))"
printf 'aes-128-gcm on this machine: %s MB/s (the TLS cost ceiling per core)\n' "$aes"
