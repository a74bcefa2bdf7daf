#!/usr/bin/env bash
# scripts/bench.sh jobs (see there): bench-jobs.sh SCRATCH [--files N] [--mib N]
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

scratch="$1"
shift
files=10000
mib=1024
usage="usage: scripts/bench.sh jobs [--files N] [--mib N]"
while [ $# -gt 0 ]; do
    case "$1" in
    --files) files="$2"; shift 2 ;;
    --mib) mib="$2"; shift 2 ;;
    *) die "$usage" ;;
    esac
done
for n in "$files" "$mib"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "$usage (positive integers)"; done

ensure_swift
ensure_packages python3 bubblewrap util-linux "${BUILD_PACKAGES[@]}"
build_release "$scratch" pachd pachctl
pachctl="$bin/pachctl"
own_cluster bench-jobs 31850 "$bin"

# job_field JSON FIELD: one number or string field of a job's JSON document.
job_field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# run_pipeline NAME SPEC: creates the pipeline and waits for its first job; prints the job's JSON and
# leaves the wall time from create to end in $elapsed.
run_pipeline() {
    local start id=""
    printf '%s\n' "$2" >"$work/$1.json"
    start="$(now)"
    "$pachctl" create pipeline -f "$work/$1.json" >/dev/null
    while [ -z "$id" ]; do
        id="$("$pachctl" list job -p "$1" -o json | python3 -c 'import json, sys
lines = [l for l in sys.stdin if l.strip()]
print(json.loads(lines[0])["id"] if lines else "")')"
        [ -n "$id" ] || sleep 0.05
    done
    job="$("$pachctl" wait job "$id" -o json)"
    elapsed="$(seconds "$start" "$(now)")"
    [ "$(job_field "$job" state)" = success ] || die "job $id of $1 did not succeed: $job"
}

log "1/4 data in $work: $files files of 1 KiB; $mib MiB in 64 files"
python3 - "$work" "$files" "$mib" <<'PY'
import os, random, sys
work, files, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(11)
os.makedirs(f"{work}/small")
for i in range(files):
    with open(f"{work}/small/f{i:06d}", "wb") as f:
        f.write(rng.randbytes(1024))
os.makedirs(f"{work}/large")
piece = (mib << 20) // 64
for i in range(64):
    with open(f"{work}/large/p{i:02d}", "wb") as f:
        f.write(os.urandom(piece))
PY

log "2/4 the cp pipeline over $files files on a 3-node release cluster (R = 3, 2 worker slots per node)"
own_cluster_sh up 3 >/dev/null
# shellcheck disable=SC1091
source "$work/cluster/env"
runtime="$(grep -hoE 'jobs run user code (in bubblewrap|as plain processes)' "$work/cluster/node1/pachd.log" | head -1 || true)"
"$pachctl" create repo small
"$pachctl" put file small@master:/ -r -f "$work/small" -p 16
run_pipeline copy '{"pipeline": {"name": "copy"}, "transform": {"cmd": ["sh", "-c", "cp \"$small\" out/"]},
 "input": {"pfs": {"repo": "small", "glob": "/*"}}}'
cp_job="$job"
cp_secs="$elapsed"
cp_rate="$(awk -v n="$files" -v s="$cp_secs" 'BEGIN { printf "%.0f", n / s }')"
# Per-datum overhead: the wall time each of the 6 slots spent per datum it ran.
cp_overhead="$(awk -v n="$files" -v s="$cp_secs" 'BEGIN { printf "%.1f", s * 6 * 1000 / n }')"
listed="$("$pachctl" list file copy@master -o json | wc -l)"
[ "$listed" -eq "$files" ] || die "the cp pipeline's output lists $listed files, not $files"
own_cluster_sh down --purge >/dev/null

log "3/4 a $mib MiB input in 64 files on a fresh 3-node cluster with R = 1; the pipeline reads every byte"
PACHD_EXTRA_FLAGS="--replication-factor 1" own_cluster_sh up 3 --fresh >/dev/null
# shellcheck disable=SC1091
source "$work/cluster/env"
"$pachctl" create repo large
"$pachctl" put file large@master:/ -r -f "$work/large" -p 8
run_pipeline sum '{"pipeline": {"name": "sum"}, "transform": {"cmd": ["sh", "-c", "sha256sum \"$large\" > out/$(basename \"$large\")"]},
 "input": {"pfs": {"repo": "large", "glob": "/*"}}}'
large_secs="$elapsed"
local_bytes="$(job_field "$job" local_bytes)"
remote_bytes="$(job_field "$job" remote_bytes)"
locality="$(awk -v l="$local_bytes" -v r="$remote_bytes" 'BEGIN { printf "%.1f", l * 100 / (l + r) }')"
large_rate="$(awk -v m="$mib" -v s="$large_secs" 'BEGIN { printf "%.1f", m * 1.048576 / s }')"
for k in $(seq -w 0 63 | head -3); do
    want="$(sha256sum "$work/large/p$k" | cut -d' ' -f1)"
    got="$("$pachctl" get file "sum@master:/p$k" | cut -d' ' -f1)"
    [ "$want" = "$got" ] || die "the sum pipeline's hash of p$k is $got, not $want"
done

log "4/4 results (wall time from create pipeline to the job's end; MB = 10^6 bytes)"
printf '%-52s %s\n' "cp pipeline, $files datums of 1 KiB, 3 nodes x 2 slots" "$cp_rate datums/s ($cp_secs s; $(job_field "$cp_job" batches_total) batches)"
printf '%-52s %s\n' "  per-datum overhead (6 slots x wall / datums)" "$cp_overhead ms"
printf '%-52s %s\n' "sha256 pipeline, $mib MiB in 64 datums, R = 1" "$large_rate MB/s ($large_secs s)"
printf '%-52s %s\n' "  input bytes read locally" "$locality% ($local_bytes local, $remote_bytes from peers)"
[ -z "$runtime" ] || printf '%-52s %s\n' "runtime" "$runtime"
