import Crypto
import Foundation
import Testing

extension IntegrationTests {
    /// The replicated chunk store through `pachctl put/get/inspect object`: real nodes, real disks.
    @Suite("Chunk store")
    struct ChunkStore {
        @Test("an object lands on R=3 nodes, reads back identical through every node, and is stored once")
        func replicatedReadFromAnyNodeAndDeduplicated() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let file = try Payload.write(bytes: 6 << 20, seed: 1, in: cluster.root)
                let put = try await cluster.pachctlOK(["put", "object", file.path, "-o", "json"], via: [1])
                let info = try #require(try put.jsonDocuments().first, "\(put)")
                let id = try #require(info.string("id"))
                #expect(info.int("size_bytes") == 6 << 20)
                let pieces = info.objects("chunks")
                #expect(pieces.count >= 3, "6 MiB should make several ~1 MiB chunks: \(put)")
                for piece in pieces { #expect(Set(piece.ints("holders")) == [1, 2, 3], "\(put)") }

                for node in [1, 2, 3] {
                    let out = "\(cluster.root)/out-\(node)"
                    try await cluster.pachctlOK(["get", "object", id, "-o", out], via: [node])
                    #expect(try Payload.sha256(of: out) == file.sha256, "read through node \(node)")
                }

                // The same bytes again: the same id, and no new chunk file anywhere.
                let before = cluster.founders.map { Payload.chunkFiles(of: $0).count }
                let again = try await cluster.pachctlOK(["put", "object", file.path], via: [2])
                #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id)
                #expect(cluster.founders.map { Payload.chunkFiles(of: $0).count } == before)
                #expect(before.allSatisfy { $0 == pieces.count + 1 }, "each node holds every chunk and the object: \(before)")
            }
        }

        @Test("with a node down writes go on under-replicated; repair restores R copies; a corrupt copy is read from a replica")
        func underReplicationRepairAndCorruption() async throws {
            try await TestCluster.with(nodes: 3, extraArguments: ["--repair-interval", "1s"]) { cluster in
                _ = try await cluster.waitForLeader()
                await cluster.kill(3)
                let file = try Payload.write(bytes: 3 << 20, seed: 2, in: cluster.root)
                let put = try await cluster.pachctlOK(["put", "object", file.path, "-o", "json"], via: [1, 2])
                let info = try #require(try put.jsonDocuments().first, "\(put)")
                let id = try #require(info.string("id"))
                #expect((info.int("under_replicated_chunks") ?? 0) > 0, "node 3 was down: \(put)")

                try cluster.restart(3)
                let deadline = ContinuousClock.now + .seconds(60)
                var last = ""
                while ContinuousClock.now < deadline {
                    let inspect = try await cluster.pachctl(["inspect", "object", id, "-o", "json"], via: [1])
                    last = inspect.description
                    if inspect.succeeded, let doc = try inspect.jsonDocuments().first, doc.int("under_replicated_chunks") == 0,
                       doc.objects("chunks").allSatisfy({ Set($0.ints("holders")) == [1, 2, 3] }) {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(ContinuousClock.now < deadline, "not repaired within 60 s: \(last)")

                // Cluster status: every node reports the chunks it holds, and the leader's next pass (each counts
                // the backlog it starts from) finds nothing left to repair.
                var status = try await cluster.pachctlOK(["cluster", "status", "-o", "json"], via: [2])
                var document = try #require(try status.jsonDocuments().first, "\(status)")
                for node in document.objects("nodes") {
                    #expect((node.int("chunks") ?? 0) > 0 && (node.int("chunk_stored_bytes") ?? 0) > 0, "\(status)")
                }
                let settled = ContinuousClock.now + .seconds(30)
                while JSONObject.object(document, "repair")?.int("under_replicated_chunks") != 0, ContinuousClock.now < settled {
                    try await Task.sleep(for: .milliseconds(500))
                    status = try await cluster.pachctlOK(["cluster", "status", "-o", "json"], via: [2])
                    document = try #require(try status.jsonDocuments().first, "\(status)")
                }
                let repair = try #require(JSONObject.object(document, "repair"), "no repair summary: \(status)")
                #expect(repair.int("under_replicated_chunks") == 0 && repair.int("lost_chunks") == 0, "\(status)")
                // Metrics: node 3 received the repaired copies over the chunk API.
                let samples = try await MetricsScrape.samples(port: cluster.node(3).metricsPort)
                #expect((samples[#"pachd_chunk_writes_total{outcome="stored"}"#] ?? 0) > 0, "node 3 stored no chunk")

                // Damage every chunk file on node 1: reads through node 1 still return the right bytes.
                let node1 = cluster.node(1)
                for path in Payload.chunkFiles(of: node1) { try Payload.flipByte(in: path) }
                let out = "\(cluster.root)/out"
                try await cluster.pachctlOK(["get", "object", id, "-o", out], via: [1])
                #expect(try Payload.sha256(of: out) == file.sha256)
                let quarantined = (try? FileManager.default.contentsOfDirectory(atPath: node1.directory + "/chunks/quarantine")) ?? []
                #expect(!quarantined.isEmpty, "the corrupt copies were not quarantined")
            }
        }

        @Test("with two of three nodes down a put fails with 'unavailable' and a reason, and a bad id is refused")
        func noQuorumOfReplicasRefusesTheWrite() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                _ = try await cluster.waitForLeader()
                let bad = try await cluster.pachctl(["get", "object", "not-an-id"], via: [1])
                #expect(bad.failed && bad.stderr.contains("64 hex"), "\(bad)")
                let unknown = try await cluster.pachctl(["get", "object", String(repeating: "ab", count: 32)], via: [1])
                #expect(unknown.failed && unknown.stderr.contains("not found"), "\(unknown)")

                await cluster.kill(2)
                await cluster.kill(3)
                let file = try Payload.write(bytes: 1 << 20, seed: 3, in: cluster.root)
                let put = try await cluster.pachctl(["put", "object", file.path], via: [1], timeout: .seconds(60))
                #expect(put.failed, "a write with one node of three succeeded: \(put)")
                #expect(put.stderr.contains("unavailable"), "\(put)")
            }
        }

        @Test("a node that joins takes its share of the chunks; every chunk ends on exactly R = 3 nodes")
        func joiningNodeTakesItsShare() async throws {
            try await TestCluster.with(nodes: 3, extraArguments: ["--repair-interval", "1s"]) { cluster in
                let file = try Payload.write(bytes: 12 << 20, seed: 5, in: cluster.root)
                let put = try await cluster.pachctlOK(["put", "object", file.path, "-o", "json"], via: [1])
                let id = try #require(try put.jsonDocuments().first?.string("id"))

                let joiner = try cluster.addNode(id: 4)
                try await cluster.ca.issue(node: 4)
                let peers = cluster.foundersPeerList + ",4=\(joiner.peerAddress)"
                try cluster.start(4, arguments: cluster.arguments(for: joiner, peers: peers, join: true))

                // Repair copies each chunk whose top-3 replicas now include node 4 there, then drops the
                // copy that is no longer one of its three.
                let deadline = ContinuousClock.now + .seconds(90)
                var holders: [Set<Int>] = []
                while ContinuousClock.now < deadline {
                    let inspect = try await cluster.pachctl(["inspect", "object", id, "-o", "json"], via: [1])
                    holders = (try? inspect.jsonDocuments().first?.objects("chunks").map { Set($0.ints("holders")) }) ?? []
                    if !holders.isEmpty, holders.allSatisfy({ $0.count == 3 }), holders.contains(where: { $0.contains(4) }) {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(!holders.isEmpty && holders.allSatisfy { $0.count == 3 }, "holders: \(holders)")
                let onNew = holders.filter { $0.contains(4) }.count
                // Rendezvous hashing: node 4 is in the top 3 of 4 for about 3/4 of the chunks (none of a
                // dozen has odds of 4^-12), and exactly 3 copies each means the surplus copies were dropped.
                #expect(onNew > 0, "node 4 holds \(onNew) of \(holders.count)")
                let out = "\(cluster.root)/out"
                try await cluster.pachctlOK(["get", "object", id, "-o", out], via: [4])
                #expect(try Payload.sha256(of: out) == file.sha256)
            }
        }

        @Test("a full disk refuses the write with 'resource exhausted' and leaves no chunk behind")
        func fullDiskIsResourceExhausted() async throws {
            // A reserve larger than any disk: every store must refuse every frame.
            try await TestCluster.with(nodes: 3, extraArguments: ["--chunk-reserve", "1000000GiB"]) { cluster in
                _ = try await cluster.waitForLeader()
                let file = try Payload.write(bytes: 2 << 20, seed: 4, in: cluster.root)
                let put = try await cluster.pachctl(["put", "object", file.path], via: [1])
                #expect(put.failed, "\(put)")
                #expect(put.stderr.contains("resource exhausted"), "\(put)")
                #expect(!put.stderr.contains("(0 bytes free)"), "the peers' own account of their disks is kept: \(put)")
                for node in cluster.founders { #expect(Payload.chunkFiles(of: node).isEmpty, "node \(node.id) kept a chunk") }
            }
        }
    }
}

/// Test data on disk.
enum Payload {
    struct File {
        let path: String
        let sha256: String
    }

    /// `bytes` of seeded pseudo-random data (incompressible, so chunks stay ~1 MiB).
    static func write(bytes: Int, seed: UInt64, in directory: String) throws -> File {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var data = [UInt8](repeating: 0, count: bytes)
        for index in stride(from: 0, to: bytes, by: 8) {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for shift in 0..<min(8, bytes - index) { data[index + shift] = UInt8(truncatingIfNeeded: z >> (8 * shift)) }
        }
        let path = "\(directory)/payload-\(seed)"
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else {
            throw HarnessError("cannot write \(path)")
        }
        return File(path: path, sha256: hex(SHA256.hash(data: data)))
    }

    static func sha256(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw HarnessError("cannot read \(path)") }
        return hex(SHA256.hash(data: data))
    }

    /// The chunk files of `node`'s store.
    static func chunkFiles(of node: TestCluster.Node) -> [String] {
        let root = node.directory + "/chunks/chunks"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.count > 6 && !$0.hasSuffix("/") }
            .map { "\(root)/\($0)" }.filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
    }

    /// Flips one byte in the middle of the file.
    static func flipByte(in path: String) throws {
        guard var data = FileManager.default.contents(atPath: path) else { throw HarnessError("cannot read \(path)") }
        data[data.count / 2] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: path))
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
