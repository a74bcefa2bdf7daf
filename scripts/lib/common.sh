# Shared helpers for the scripts in this folder. Source it; do not run it.

# The repository root, whatever the caller's working directory.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_packages PKG...: installs the Debian packages that are missing (needs root or sudo).
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing missing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

# ensure_swift: the toolchain must already be on PATH (it is not a Debian package).
ensure_swift() {
    command -v swift >/dev/null 2>&1 || [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
    command -v swift >/dev/null 2>&1 || die "swift is not installed; install Swift 6.1 or newer and retry"
}

# System packages every build needs. Modules add theirs here as they land.
BUILD_PACKAGES=(pkg-config liblz4-dev libfuse-dev fuse)

# own_cluster NAME PORT_BASE [BIN_DIR]: a scratch folder ($work) holding a cluster of the caller's own on
# PORT_BASE; `own_cluster_sh ARGS...` runs scripts/cluster.sh against it; on exit the cluster is purged
# and the folder deleted. For benchmarks and measurements that must not touch the user's .cluster/.
own_cluster() {
    work="$(mktemp -d "/tmp/pach-$1.XXXXXX")"
    chmod 755 "$work"  # the job sandboxes run as nobody, who must reach the nodes' data dirs
    own_cluster_env=(PACH_CLUSTER_DIR="$work/cluster" PACH_PORT_BASE="$2")
    [ -z "${3:-}" ] || own_cluster_env+=(PACH_BIN_DIR="$3")
    trap 'own_cluster_sh down --purge >/dev/null 2>&1 || true; rm -rf -- "$work"' EXIT
}
own_cluster_sh() { env "${own_cluster_env[@]}" "$REPO_ROOT/scripts/cluster.sh" "$@"; }

# build_release SCRATCH PRODUCT...: builds the products (release) in SCRATCH; sets $bin to their folder.
build_release() {
    local scratch="$1" product
    shift
    log "building $* (release) in $scratch"
    for product in "$@"; do swift build -c release --product "$product" --scratch-path "$scratch" >&2; done
    bin="$REPO_ROOT/$scratch/release"
}

# Wall-clock helpers for benchmarks: now (seconds, with nanoseconds), seconds START END.
now() { date +%s.%N; }
seconds() { awk -v start="$1" -v end="$2" 'BEGIN { printf "%.2f", end - start }'; }
