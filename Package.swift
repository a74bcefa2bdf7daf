// swift-tools-version: 6.1
import PackageDescription

// The layout is a picture of ../shared/DESIGN.md. Modules land one issue at a time:
// Raft (consensus) first; Replication, PFS, Jobs, Node (pachd) and pachctl follow.
let package = Package(
    name: "pachyderm-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Raft", targets: ["Raft"]),
        .executable(name: "raft-bench", targets: ["RaftBench"]),
        .executable(name: "chunk-bench", targets: ["ChunkBench"]),
        .library(name: "PachAPI", targets: ["PachAPI"]),
        .library(name: "Replication", targets: ["Replication"]),
        .library(name: "PFS", targets: ["PFS"]),
        .library(name: "Jobs", targets: ["Jobs"]),
        .executable(name: "pachd", targets: ["Node"]),
        .executable(name: "pachctl", targets: ["pachctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Keep swift-protobuf and grpc-swift-protobuf in step with scripts/gen-proto.sh.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Already in the graph through the gRPC transport (swift-certificates); pachd uses its SHA-256.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // Already in the graph through the gRPC transport; pachd serves /metrics over its HTTP/1 codec.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "Raft",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "RaftBench",
            dependencies: ["Raft", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/RaftBench"
        ),
        .target(
            name: "PachAPI",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // liblz4 through its pkg-config file; Debian's liblz4-dev provides both.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        // libfuse 2.9 through its pkg-config file (Debian's libfuse-dev); the shim sets FUSE_USE_VERSION 26.
        .systemLibrary(name: "CFuse", pkgConfig: "fuse", providers: [.apt(["libfuse-dev"])]),
        // Linux calls missing from Swift's Glibc module (syncfs, mallopt).
        .systemLibrary(name: "CLinux"),
        .target(
            name: "Replication",
            // Raft for its CRC-32C only (frame headers use the same checksum as the Raft log).
            dependencies: ["CLZ4", "CLinux", "Raft", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"]
        ),
        .executableTarget(name: "ChunkBench", dependencies: ["Replication"], path: "Benchmarks/ChunkBench"),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "Raft"]),
        .target(name: "PFS", dependencies: ["CFuse", "Raft", "Replication"], exclude: ["README.md"]),
        .target(name: "Jobs", dependencies: ["CLinux", "PFS", "Replication", .product(name: "Logging", package: "swift-log")],
                exclude: ["README.md"]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "PFS", "Raft", "Replication", "Linearizability"]),
        .executableTarget(
            name: "Node",
            dependencies: [
                "CLinux", "Raft", "Replication", "PFS", "Jobs", "PachAPI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["README.md"]
        ),
        .testTarget(name: "PFSTests", dependencies: ["PFS", "Replication"]),
        // Tests the executable's internals through `@testable import Node` (SwiftPM supports it on Linux).
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "Node", "Raft", "PachAPI", "PFS", "Replication",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                // API tests call through a real GRPCServer and GRPCClient without sockets.
                .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The linearizability checker (a memoized search over per-key histories), shared by the Raft
        // simulation and the chaos runs of real clusters; test support, not a product.
        .target(name: "Linearizability", path: "Tests/Linearizability"),
        .testTarget(name: "RaftTests", dependencies: ["Raft", "Linearizability"]),
        // pachctl: a thin command-line shell over PachctlKit (parsing, formatting, failover, errors),
        // which is tested without a server.
        .target(
            name: "PachctlKit",
            dependencies: ["PachAPI", .product(name: "GRPCCore", package: "grpc-swift-2")]
        ),
        .executableTarget(
            name: "pachctl",
            dependencies: [
                "CLinux", "PachAPI", "PachctlKit", "PFS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            exclude: ["README.md"]
        ),
        .testTarget(
            name: "PachctlKitTests",
            dependencies: ["PachctlKit", "PachAPI", .product(name: "GRPCCore", package: "grpc-swift-2")],
            exclude: ["testdata"]
        ),
        // Starts real pachd processes (the built executables, found at run time) and drives them with
        // pachctl; no project module dependencies, so it tests only what a user sees (Crypto: SHA-256 of
        // the data it writes and reads back; Linearizability: the chaos runs' checker).
        .testTarget(name: "IntegrationTests", dependencies: ["Linearizability", .product(name: "Crypto", package: "swift-crypto")],
                    exclude: ["testdata"]),
    ]
)
