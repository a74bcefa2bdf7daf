import Foundation
@testable import Linearizability

/// One chaos client: until `deadline`, puts, reads and deletes files of repo `chaos` on master (each key
/// a file, each put a commit of its own) and creates branches, through pachctl with the nodes in a
/// random order (so that calls land on every node, and pachctl moves on when one does not answer).
/// Every call goes into `history` with what it learned: an answer, or nothing (any failure is an
/// unknown outcome, the safe reading of a timeout or an unavailable node).
struct ChaosClient {
    static let repo = "chaos"
    static let keys = (0..<4).map { "k\($0)" }

    let id: Int
    let cluster: ScriptedCluster
    let nodes: [Int]
    let history: ChaosHistory
    let scratch: String
    var random: SeededRandom
    var written = 0

    init(id: Int, seed: UInt64, cluster: ScriptedCluster, nodes: [Int], history: ChaosHistory) throws {
        self.id = id
        self.cluster = cluster
        self.nodes = nodes
        self.history = history
        random = SeededRandom(seed: seed &+ UInt64(id) &* 0x5851_F42D_4C95_7F2D)
        scratch = "\(cluster.root)/client\(id)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    mutating func run(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline {
            let key = Self.keys[Int(random.next() % UInt64(Self.keys.count))]
            let roll = random.next() % 100
            let via = nodes.shuffled(using: &random)
            do {
                switch roll {
                case 0..<45: try await put(key, via: via)
                case 45..<80: try await get(key, via: via)
                case 80..<90: try await delete(key, via: via)
                default: try await createBranch(via: via)
                }
            } catch {
                history.violation("client \(id): the harness failed: \(error)")
                return
            }
        }
    }

    /// Writes a new value of `key`; mostly small, sometimes several chunks.
    mutating func put(_ key: String, via: [Int]) async throws {
        written += 1
        let value = "c\(id)-\(written)"
        let size = random.next() % 10 == 0 ? Int(1 << 20 + random.next() % (2 << 20)) : Int(random.next() % 4096)
        let bytes = ChaosValue.bytes(value, size: size)
        let path = "\(scratch)/put"
        try bytes.write(to: URL(fileURLWithPath: path))
        let invoked = history.now()
        let result = try await cluster.pachctl(["put", "file", "\(Self.repo)@master:/\(key)", "-f", path, "-o", "json"],
                                               via: via, timeout: .seconds(30))
        let returned = history.now()
        if result.succeeded, let commit = try? result.jsonDocuments().first?.string("commit") {
            history.record(client: id, key: key, input: .put(value), output: .ok, invoked: invoked, returned: returned)
            history.acknowledged(file: .init(key: key, value: value, commit: commit, sha256: ChaosValue.sha256(bytes)))
        } else {
            history.record(client: id, key: key, input: .put(value), output: nil, invoked: invoked, returned: returned)
        }
    }

    func get(_ key: String, via: [Int]) async throws {
        let path = "\(scratch)/get"
        try? FileManager.default.removeItem(atPath: path)
        let invoked = history.now()
        let result = try await cluster.pachctl(["get", "file", "\(Self.repo)@master:/\(key)", "-o", path],
                                               via: via, timeout: .seconds(30))
        let returned = history.now()
        if result.succeeded {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let (value, intact) = ChaosValue.verified(data), intact else {
                history.violation("client \(id): get \(key) returned \(data.count) bytes that no put wrote: \(result)")
                return
            }
            history.record(client: id, key: key, input: .get, output: .value(value), invoked: invoked, returned: returned)
        } else if Self.isAbsent(key, result) {
            history.record(client: id, key: key, input: .get, output: .value(nil), invoked: invoked, returned: returned)
        } else {
            history.record(client: id, key: key, input: .get, output: nil, invoked: invoked, returned: returned)
        }
    }

    /// A delete of an absent file is refused as not found: then it was a read that found nothing.
    func delete(_ key: String, via: [Int]) async throws {
        let invoked = history.now()
        let result = try await cluster.pachctl(["delete", "file", "\(Self.repo)@master:/\(key)"], via: via, timeout: .seconds(30))
        let returned = history.now()
        if result.succeeded {
            history.record(client: id, key: key, input: .delete, output: .ok, invoked: invoked, returned: returned)
        } else if Self.isAbsent(key, result) {
            history.record(client: id, key: key, input: .get, output: .value(nil), invoked: invoked, returned: returned)
        } else {
            history.record(client: id, key: key, input: .delete, output: nil, invoked: invoked, returned: returned)
        }
    }

    mutating func createBranch(via: [Int]) async throws {
        written += 1
        let name = "b\(id)-\(written)"
        let result = try await cluster.pachctl(["create", "branch", "\(Self.repo)@\(name)", "--head", "master"],
                                               via: via, timeout: .seconds(30))
        if result.succeeded { history.acknowledged(branch: name) } else { history.branchCallFailed() }
    }

    /// Whether pachctl said that `key` does not exist on master (a definite answer, not a failure).
    static func isAbsent(_ key: String, _ result: PachctlResult) -> Bool {
        result.failed && result.stderr.contains("file /\(key) not found")
    }
}
