import Foundation
import Testing

extension IntegrationTests {
    /// PFS files across real nodes: put through one, read through the others; a put whose node dies
    /// mid-stream leaves nothing; a node holding replicas dies and every file still reads back.
    @Suite("Files")
    struct Files {
        /// A local tree of files of assorted sizes (an empty one, small ones, one of several chunks).
        static func makeTree(in root: String) throws -> [String: String] {
            let base = root + "/tree"
            try FileManager.default.createDirectory(atPath: base + "/deep/er", withIntermediateDirectories: true)
            var sums: [String: String] = [:]
            let big = try Payload.write(bytes: 5 << 20, seed: 7, in: base)
            sums["/payload-7"] = big.sha256
            let small = try Payload.write(bytes: 3_000, seed: 8, in: base + "/deep")
            sums["/deep/payload-8"] = small.sha256
            for (name, text) in [("/a.txt", "alpha\n"), ("/deep/er/b.txt", "beta\n"), ("/empty", "")] {
                try text.write(toFile: base + name, atomically: true, encoding: .utf8)
                sums[name] = try Payload.sha256(of: base + name)
            }
            return sums
        }

        @Test("a tree put through one node reads back identical through every node; list, glob and diff agree")
        func putThroughOneReadThroughAll() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let sums = try Self.makeTree(in: cluster.root)
                try await cluster.pachctlOK(["create", "repo", "data"], via: [1])
                try await cluster.pachctlOK(["put", "file", "data@master:/in", "-r", "-f", cluster.root + "/tree"], via: [1])
                for node in [1, 2, 3] {
                    let out = "\(cluster.root)/out-\(node)"
                    try await cluster.pachctlOK(["get", "file", "data@master:/in", "-r", "-o", out], via: [node])
                    for (path, sum) in sums {
                        #expect(try Payload.sha256(of: out + path) == sum, "\(path) through node \(node)")
                    }
                    let list = try await cluster.pachctlOK(["list", "file", "data@master:/in", "-o", "json"], via: [node])
                    #expect(try list.jsonDocuments().compactMap { $0.string("path") }
                            == ["/in/a.txt", "/in/deep", "/in/empty", "/in/payload-7"], "\(list)")
                }
                let glob = try await cluster.pachctlOK(["glob", "file", "data@master:/in/**.txt", "-o", "json"], via: [2])
                #expect(try glob.jsonDocuments().compactMap { $0.string("path") } == ["/in/a.txt", "/in/deep/er/b.txt"])
                try await cluster.pachctlOK(["put", "file", "data@master:/in/a.txt", "-f", cluster.root + "/tree/deep/er/b.txt"], via: [3])
                let diff = try await cluster.pachctlOK(["diff", "file", "data@master", "-o", "json"], via: [1])
                #expect(try diff.jsonDocuments().map { $0.string("change") } == ["modified"], "\(diff)")
                let commits = try await cluster.pachctlOK(["list", "commit", "data", "-o", "json"], via: [2])
                #expect(try commits.jsonDocuments().count == 2, "one call, one commit: \(commits)")
            }
        }

        @Test("a put whose node is killed mid-stream fails and leaves nothing visible; a retry through another node succeeds")
        func killTheReceivingNodeMidPut() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "big"], via: [1])
                let small = try Payload.write(bytes: 1_000, seed: 1, in: cluster.root)
                try await cluster.pachctlOK(["put", "file", "big@master:/before", "-f", small.path], via: [2])
                let file = try Payload.write(bytes: 200 << 20, seed: 3, in: cluster.root)
                let put = Task { try await cluster.pachctl(["put", "file", "big@master:/huge", "-f", file.path], via: [1], timeout: .seconds(120)) }
                try await Task.sleep(for: .seconds(3))
                await cluster.kill(1)
                let result = try await put.value
                #expect(!result.succeeded, "the put went to a dead node: \(result)")
                _ = try await cluster.waitForLeader(among: [2, 3])
                let commits = try await cluster.pachctlOK(["list", "commit", "big", "-o", "json"], via: [2])
                #expect(try commits.jsonDocuments().count == 1, "only the first put made a commit: \(commits)")
                let missing = try await cluster.pachctl(["inspect", "file", "big@master:/huge"], via: [3])
                #expect(!missing.succeeded && missing.stderr.contains("not found"), "\(missing)")
                try await cluster.pachctlOK(["put", "file", "big@master:/huge", "-f", file.path], via: [2, 3])
                let out = cluster.root + "/huge.out"
                try await cluster.pachctlOK(["get", "file", "big@master:/huge", "-o", out], via: [3])
                #expect(try Payload.sha256(of: out) == file.sha256)
                try? FileManager.default.removeItem(atPath: file.path)
                try? FileManager.default.removeItem(atPath: out)
            }
        }

        @Test("with a node holding replicas killed, every file reads back identical through the others")
        func killAReplicaAndReadEverything() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let sums = try Self.makeTree(in: cluster.root)
                try await cluster.pachctlOK(["create", "repo", "safe"], via: [1])
                try await cluster.pachctlOK(["put", "file", "safe@master", "-r", "-f", cluster.root + "/tree", "-p", "4"], via: [1])
                await cluster.kill(3)
                _ = try await cluster.waitForLeader(among: [1, 2])
                for node in [1, 2] {
                    let out = "\(cluster.root)/after-\(node)"
                    try await cluster.pachctlOK(["get", "file", "safe@master:/", "-r", "-o", out], via: [node])
                    for (path, sum) in sums { #expect(try Payload.sha256(of: out + path) == sum, "\(path) via node \(node)") }
                }
                // Writes go on with one node down (under-replicated, repaired later).
                let put = try await cluster.pachctlOK(["put", "file", "safe@master:/later", "-f", cluster.root + "/tree/a.txt",
                                                       "-o", "json"], via: [2])
                #expect(try put.jsonDocuments().first?.bool("new_commit") == true, "\(put)")
            }
        }

        @Test("bad input gets a one-line error and changes nothing")
        func badInput() async throws {
            try await TestCluster.with(nodes: 1) { cluster in
                try await cluster.pachctlOK(["create", "repo", "r"])
                let source = try Payload.write(bytes: 10, seed: 2, in: cluster.root).path
                try await cluster.pachctlOK(["put", "file", "r@master:/f", "-f", source])
                let cases: [([String], String)] = [
                    (["put", "file", "r@master:/a/../b", "-f", source], "'..'"),
                    (["put", "file", "r@master:/" + String(repeating: String(repeating: "p", count: 200) + "/", count: 21) + "f", "-f", source], "4096"),
                    (["put", "file", "r@master:/f/under", "-f", source], "is a file"),
                    (["put", "file", "r@master:/d", "-f", cluster.root], "-r"),
                    (["put", "file", "r@master^:/x", "-f", source], "ancestor"),
                    (["get", "file", "r@ghost:/f"], "not found"),
                    (["get", "file", "r@master:/nope"], "not found"),
                    (["glob", "file", "r@master:/[a"], "invalid"),
                    (["list", "file", "r@master:/nope"], "not found"),
                    (["put", "file", "r@master:/s", "-f", source, "--split", "xml"], "--split"),
                ]
                for (arguments, expected) in cases {
                    let result = try await cluster.pachctl(arguments)
                    #expect(!result.succeeded, "\(arguments) succeeded")
                    let lines = result.stderr.split(separator: "\n")
                    #expect(lines.count == 1 && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
                }
                let commits = try await cluster.pachctlOK(["list", "commit", "r", "-o", "json"])
                #expect(try commits.jsonDocuments().count == 1, "a refusal made a commit: \(commits)")
            }
        }
    }
}

extension IntegrationTests {
    /// Chunk GC on real nodes, with a short interval and grace period.
    @Suite("Garbage collection")
    struct GarbageCollection {
        @Test("deleted data is reclaimed on every node; referenced data and an upload in flight are never collected")
        func reclaimsOnlyWhatNothingReferences() async throws {
            try await TestCluster.with(nodes: 3, extraArguments: ["--gc-interval", "1s", "--gc-grace", "3s"]) { cluster in
                try await cluster.pachctlOK(["create", "repo", "keep"], via: [1])
                try await cluster.pachctlOK(["create", "repo", "tmp"], via: [1])
                let kept = try Payload.write(bytes: 2 << 20, seed: 11, in: cluster.root)
                let doomed = try Payload.write(bytes: 6 << 20, seed: 12, in: cluster.root)
                try await cluster.pachctlOK(["put", "file", "keep@master:/k", "-f", kept.path], via: [1])
                let keptFiles = cluster.founders.map { Set(Payload.chunkFiles(of: $0)) }
                try await cluster.pachctlOK(["put", "file", "tmp@master:/d", "-f", doomed.path], via: [2])
                // The deleted repo's chunks and tree objects: what each node gained with its one commit.
                let doomedFiles = zip(cluster.founders, keptFiles).map { Set(Payload.chunkFiles(of: $0)).subtracting($1) }
                #expect(doomedFiles.allSatisfy { $0.count >= 6 }, "\(doomedFiles.map(\.count))")
                try await cluster.pachctlOK(["delete", "repo", "tmp"], via: [3])

                // An upload that outlasts the grace period, racing the passes: its early chunks are older
                // than the grace period before its commit refers to them.
                let slow = try Payload.write(bytes: 120 << 20, seed: 13, in: cluster.root)
                let put = try await cluster.pachctl(["put", "file", "keep@master:/slow", "-f", slow.path], via: [1],
                                                    timeout: .seconds(180))
                #expect(put.succeeded, "\(put)")

                let deadline = ContinuousClock.now + .seconds(40)
                var left = doomedFiles.map(\.count)
                while ContinuousClock.now < deadline {
                    left = doomedFiles.map { $0.filter { FileManager.default.fileExists(atPath: $0) }.count }
                    if left.allSatisfy({ $0 == 0 }) { break }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(left.allSatisfy { $0 == 0 }, "the deleted repo's chunks left on each node: \(left)")
                for (node, files) in zip(cluster.founders, keptFiles) {
                    #expect(files.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "node \(node.id) lost a kept chunk")
                }
                for node in [1, 2, 3] {
                    let out = "\(cluster.root)/k-\(node)"
                    try await cluster.pachctlOK(["get", "file", "keep@master:/k", "-o", out], via: [node])
                    #expect(try Payload.sha256(of: out) == kept.sha256, "node \(node)")
                }
                let slowOut = cluster.root + "/slow.out"
                try await cluster.pachctlOK(["get", "file", "keep@master:/slow", "-o", slowOut], via: [2])
                #expect(try Payload.sha256(of: slowOut) == slow.sha256, "GC took chunks of the upload in flight")
                // Deletions are counted by the leader that ran the pass: sum over the nodes.
                var deleted = 0.0
                for node in cluster.founders {
                    deleted += try await MetricsScrape.samples(port: node.metricsPort)["pachd_chunk_gc_deleted_total"] ?? 0
                }
                #expect(deleted >= Double(doomedFiles.map(\.count).reduce(0, +)), "\(deleted)")
                try? FileManager.default.removeItem(atPath: slow.path)
                try? FileManager.default.removeItem(atPath: slowOut)
            }
        }
    }
}
