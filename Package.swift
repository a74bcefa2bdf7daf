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
        .library(name: "PachAPI", targets: ["PachAPI"]),
        .library(name: "PFS", targets: ["PFS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Keep swift-protobuf and grpc-swift-protobuf in step with scripts/gen-proto.sh.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
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
        .target(name: "PFS", dependencies: ["Raft"], exclude: ["README.md"]),
        .testTarget(name: "PFSTests", dependencies: ["PFS"]),
        .testTarget(name: "RaftTests", dependencies: ["Raft"]),
    ]
)
