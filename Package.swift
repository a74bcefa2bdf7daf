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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "Raft",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "RaftBench",
            dependencies: ["Raft", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/RaftBench"
        ),
        .testTarget(
            name: "RaftTests",
            dependencies: ["Raft"],
            resources: []
        ),
    ]
)
