#!/usr/bin/env bash
# Regenerates the Swift code for Proto/*.proto into Sources/PachAPI/Generated/ (committed; see
# ../shared/RECIPES.md, "Generated code: commit it"). Run it after editing a .proto file.
#
# It builds the two protoc plugins once, from the same package versions the app links against, into
# .build-protoc/ (ignored by git), installs Debian's protoc if it is missing, then runs protoc.
# Idempotent: a second run reuses the plugins and rewrites the same files.
#
# Environment: PROTOC_PLUGINS_REBUILD=1 forces the plugins to be rebuilt (e.g. after a version bump).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

# Keep these equal to the versions in Package.swift: generated code must match its runtime library.
SWIFT_PROTOBUF_VERSION="1.39.0"
GRPC_SWIFT_PROTOBUF_VERSION="2.4.1"

PROTO_DIR="Proto"
OUT_DIR="Sources/PachAPI/Generated"
TOOLS_DIR=".build-protoc"
PLUGIN_BIN="$TOOLS_DIR/.build/release"

ensure_swift
ensure_packages protobuf-compiler

build_plugins() {
    log "building the protoc plugins in $TOOLS_DIR/ (swift-protobuf $SWIFT_PROTOBUF_VERSION, grpc-swift-protobuf $GRPC_SWIFT_PROTOBUF_VERSION; ~3 min the first time)"
    mkdir -p "$TOOLS_DIR/Sources/Placeholder"
    # A throwaway package whose only purpose is to resolve the two generator packages at exact versions.
    cat >"$TOOLS_DIR/Package.swift" <<EOF
// swift-tools-version: 6.1
// Written by scripts/gen-proto.sh: builds the protoc plugins. Not part of the project's build.
import PackageDescription

let package = Package(
    name: "protoc-plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "$SWIFT_PROTOBUF_VERSION"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "$GRPC_SWIFT_PROTOBUF_VERSION"),
    ],
    targets: [
        .target(
            name: "Placeholder",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
    ]
)
EOF
    echo "// Placeholder target: lets SwiftPM resolve the plugin packages." >"$TOOLS_DIR/Sources/Placeholder/Placeholder.swift"
    (cd "$TOOLS_DIR" && swift build -c release --product protoc-gen-swift >&2)
    (cd "$TOOLS_DIR" && swift build -c release --product protoc-gen-grpc-swift-2 >&2)
}

if [ "${PROTOC_PLUGINS_REBUILD:-0}" = "1" ] \
    || [ ! -x "$PLUGIN_BIN/protoc-gen-swift" ] || [ ! -x "$PLUGIN_BIN/protoc-gen-grpc-swift-2" ] \
    || ! grep -q "exact: \"$SWIFT_PROTOBUF_VERSION\"" "$TOOLS_DIR/Package.swift" 2>/dev/null \
    || ! grep -q "exact: \"$GRPC_SWIFT_PROTOBUF_VERSION\"" "$TOOLS_DIR/Package.swift" 2>/dev/null; then
    build_plugins
else
    log "reusing the protoc plugins in $PLUGIN_BIN/"
fi

shopt -s nullglob
protos=("$PROTO_DIR"/*.proto)
[ ${#protos[@]} -gt 0 ] || die "no .proto files in $PROTO_DIR/"

log "$(protoc --version): generating ${protos[*]} into $OUT_DIR/"
mkdir -p "$OUT_DIR"
# Remove the previous output first so that a deleted or renamed .proto leaves no stale file behind.
rm -f "$OUT_DIR"/*.pb.swift "$OUT_DIR"/*.grpc.swift
protoc \
    --proto_path="$PROTO_DIR" \
    --plugin=protoc-gen-swift="$PLUGIN_BIN/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$PLUGIN_BIN/protoc-gen-grpc-swift-2" \
    --swift_out="$OUT_DIR" \
    --swift_opt=Visibility=Public \
    --grpc-swift-2_out="$OUT_DIR" \
    --grpc-swift-2_opt=Visibility=Public \
    "${protos[@]#"$PROTO_DIR"/}"

for file in "$OUT_DIR"/*.swift; do
    printf '    %s (%s lines)\n' "$file" "$(wc -l <"$file")" >&2
done
log "done; commit the .proto files and $OUT_DIR/ together"
