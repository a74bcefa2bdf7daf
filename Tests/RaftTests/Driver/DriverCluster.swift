import Foundation
import Raft

/// Three (or more) `RaftNode`s over one `InMemoryNetwork`, with fast timing for tests.
final class DriverCluster {
    let network = InMemoryNetwork()
    let ids: [NodeID]
    let tweak: @Sendable (inout RaftNodeOptions) -> Void
    private(set) var nodes: [NodeID: RaftNode] = [:]
    private(set) var machines: [NodeID: KVStateMachine] = [:]
    private(set) var storages: [NodeID: any RaftStorage] = [:]

    /// Ticks of 25 ms, election after 8–15 ticks: elections settle in well under a second even on a busy
    /// machine, and requests time out after 3 s so that a hang shows as a failure quickly.
    init(size: Int = 3, tweak: @escaping @Sendable (inout RaftNodeOptions) -> Void = { _ in }) {
        ids = (1...size).map(NodeID.init)
        self.tweak = tweak
    }

    func options(for id: NodeID) -> RaftNodeOptions {
        var options = RaftNodeOptions(id: id, bootstrapVoters: ids, seed: 7)
        options.tickInterval = .milliseconds(25)
        options.requestTimeout = .seconds(3)
        tweak(&options)
        return options
    }

    /// Starts every node with in-memory storage (or `storage(id)` when given).
    func start(storage: (NodeID) throws -> any RaftStorage = { _ in MemoryStorage() }) async throws {
        for id in ids {
            try await startNode(id, storage: try storage(id), machine: KVStateMachine())
        }
    }

    /// Starts (or restarts) node `id`; a node that is not `founding` joins with empty storage and waits
    /// for the leader to add it.
    func startNode(_ id: NodeID, storage: any RaftStorage, machine: KVStateMachine,
                   founding: Bool = true) async throws {
        var options = options(for: id)
        if !founding { options.bootstrapVoters = nil }
        let node = RaftNode(options: options, storage: storage, stateMachine: machine,
                            transport: network.transport(for: id))
        nodes[id] = node
        machines[id] = machine
        storages[id] = storage
        try await node.start()
    }

    func node(_ id: NodeID) -> RaftNode { nodes[id]! }
    func machine(_ id: NodeID) -> KVStateMachine { machines[id]! }

    func stop(_ id: NodeID) async {
        await nodes[id]?.stop()
    }

    func stopAll() async {
        for node in nodes.values { await node.stop() }
        for storage in storages.values { (storage as? DiskStorage)?.close() }
    }

    /// The leader that every running node among `among` agrees on.
    func waitForLeader(among members: [NodeID]? = nil, timeout: Duration = .seconds(8)) async throws -> NodeID {
        let members = members ?? ids
        var found: NodeID = noNode
        let agreed = await pollUntil(timeout: timeout) {
            let statuses = members.map { self.node($0).status }
            let leader = statuses[0].leader
            guard leader != noNode, members.contains(leader),
                  statuses.allSatisfy({ $0.leader == leader }),
                  self.node(leader).status.role == .leader else { return false }
            found = leader
            return true
        }
        guard agreed else {
            throw DriverTestFailure("no agreed leader among \(members): \(members.map { node($0).status })")
        }
        return found
    }

    /// The highest commit index any node has published. A node publishes its status at the end of its
    /// loop's turn, so a leader's may briefly lag a follower that already applied a new entry; the
    /// maximum over all nodes is a target every node must reach.
    var highestCommit: UInt64 {
        nodes.values.map(\.status.commitIndex).max() ?? 0
    }

    /// Waits until every node in `members` has applied at least `index`.
    func waitForApplied(_ index: UInt64, on members: [NodeID]? = nil, timeout: Duration = .seconds(8)) async -> Bool {
        await pollUntil(timeout: timeout) {
            (members ?? self.ids).allSatisfy { self.node($0).status.appliedIndex >= index }
        }
    }
}

struct DriverTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
func pollUntil(timeout: Duration = .seconds(8), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A fresh directory under the system's temporary directory.
func makeDriverTempDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("raft-driver-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
