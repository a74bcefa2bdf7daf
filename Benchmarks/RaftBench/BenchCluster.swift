import Logging
import Raft

/// Three `RaftNode`s in one process over an `InMemoryNetwork`, each with a `DiskStorage` on the real disk
/// (real fsync) and a `CounterMachine`, with the driver's default timing.
final class BenchCluster {
    let network = InMemoryNetwork()
    let root: String
    let ids: [NodeID] = [1, 2, 3]
    let logger: Logger
    private(set) var nodes: [NodeID: RaftNode] = [:]
    private(set) var storages: [NodeID: DiskStorage] = [:]

    init(root: String, logger: Logger) {
        self.root = root
        self.logger = logger
    }

    func start() async throws {
        for id in ids { try await startNode(id) }
    }

    /// Starts node `id` from whatever its directory holds (a restart after `kill`).
    func startNode(_ id: NodeID) async throws {
        let storage = try DiskStorage(directory: "\(root)/node\(id)")
        var options = RaftNodeOptions(id: id, bootstrapVoters: ids, seed: UInt64.random(in: 1...UInt64.max))
        options.requestTimeout = .seconds(5)
        let node = RaftNode(options: options, storage: storage, stateMachine: CounterMachine(),
                            transport: network.transport(for: id), logger: logger)
        nodes[id] = node
        storages[id] = storage
        network.heal(id)
        try await node.start()
    }

    /// Takes node `id` away as a crash would: first cut from the network, so it sends nothing more, then
    /// its driver is stopped and its storage closed.
    func kill(_ id: NodeID) async {
        network.isolate(id)
        await nodes[id]?.stop()
        storages[id]?.close()
    }

    func node(_ id: NodeID) -> RaftNode { nodes[id]! }

    func syncCount(_ id: NodeID) -> Int { storages[id]?.syncCount ?? 0 }

    /// The leader every node agrees on, once all of them have applied its commit index.
    func waitForSteadyLeader(timeout: Duration = .seconds(10)) async throws -> NodeID {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let statuses = ids.map { node($0).status }
            let leader = statuses[0].leader
            if leader != noNode, node(leader).status.role == .leader,
               statuses.allSatisfy({ $0.leader == leader && $0.appliedIndex >= node(leader).status.commitIndex }) {
                return leader
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("no steady leader: \(ids.map { node($0).status })")
    }

    func stopAll() async {
        for id in ids {
            await nodes[id]?.stop()
            storages[id]?.close()
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
