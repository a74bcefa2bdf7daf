# shellcheck shell=bash
# Certificates for a local cluster, made with openssl. Source it; do not run it.
# Used by scripts/cluster.sh and by Tests/IntegrationTests (which source it through bash), so both make
# certificates the same way.
#
# Keys are EC P-256. The CA is valid 10 years, node certificates 1 year. A node certificate carries
# serverAuth and clientAuth: peers use the same certificate as server and as client (mutual TLS).
# Its SANs are IP:127.0.0.1, DNS:localhost and DNS:node<ID>, so a client can verify any local node, and
# the node's own address when it has one (a node in its own network namespace).

# tls_make_ca DIR [NAME]: writes DIR/ca.key (mode 600) and DIR/ca.crt unless DIR/ca.crt exists.
tls_make_ca() {
    local dir="$1" name="${2:-pachyderm-swift local cluster CA}"
    [ -f "$dir/ca.crt" ] && [ -f "$dir/ca.key" ] && return 0
    mkdir -p "$dir"
    (
        umask 077
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
    )
    openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=$name" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$dir/ca.crt" 2>/dev/null
}

# tls_make_node_cert DIR ID [IP]: writes DIR/node<ID>.key (mode 600) and DIR/node<ID>.crt, signed by
# DIR/ca.key, unless DIR/node<ID>.crt exists. IP (other than 127.0.0.1) is added to the SANs.
tls_make_node_cert() {
    local dir="$1" id="$2" ip="${3:-127.0.0.1}" own=""
    [ "$ip" = 127.0.0.1 ] || own=", IP:$ip"
    local key="$dir/node$id.key" crt="$dir/node$id.crt" csr="$dir/node$id.csr" ext="$dir/node$id.ext"
    [ -f "$crt" ] && [ -f "$key" ] && return 0
    [ -f "$dir/ca.crt" ] && [ -f "$dir/ca.key" ] || { echo "tls_make_node_cert: no CA in $dir" >&2; return 1; }
    (
        umask 077
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null
    )
    openssl req -new -key "$key" -subj "/CN=node$id" -out "$csr" 2>/dev/null
    cat >"$ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:node$id$own
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
    openssl x509 -req -in "$csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 -extfile "$ext" -out "$crt" 2>/dev/null
    rm -f "$csr" "$ext"
}

# tls_random_hex BYTES: BYTES random bytes as lowercase hex.
tls_random_hex() { openssl rand -hex "$1"; }
