import Foundation
import Raft
import Synchronization
import Testing

/// A `MemoryStorage` whose writes can be refused as a full disk refuses them: `.outOfSpace`, nothing
/// stored.
final class FillableStorage: RaftStorage {
    private let inner = MemoryStorage()
    private let isFull = Mutex(false)
    private let refusals = Mutex(0)

    var full: Bool {
        get { isFull.withLock { $0 } }
        set { isFull.withLock { $0 = newValue } }
    }

    /// Writes refused so far.
    var refused: Int { refusals.withLock { $0 } }

    private func check() throws(RaftError) {
        guard full else { return }
        refusals.withLock { $0 += 1 }
        throw .outOfSpace("write log segment: No space left on device")
    }

    func load() throws(RaftError) -> PersistedState { try inner.load() }

    func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(RaftError) {
        try check()
        try inner.persist(hardState: hardState, entries: entries, snapshot: snapshot)
    }

    func saveSnapshot(_ snapshot: Snapshot) throws(RaftError) {
        try check()
        try inner.saveSnapshot(snapshot)
    }

    func compact(through index: UInt64) throws(RaftError) { try inner.compact(through: index) }
}

extension DriverTests {
    /// A node whose storage is full waits for space instead of stopping: it refuses requests at once (so
    /// callers go elsewhere), the others go on without it, and once space is back it catches up.
    @Suite(.timeLimit(.minutes(1)))
    struct FullDiskDriverTests {
        /// Starts `cluster` with a fillable storage per node, and returns them.
        static func start(_ cluster: DriverCluster) async throws -> [NodeID: FillableStorage] {
            let storages = Dictionary(uniqueKeysWithValues: cluster.ids.map { ($0, FillableStorage()) })
            try await cluster.start { storages[$0]! }
            return storages
        }

        @Test func aFullLeaderIsWaitedOutAndCatchesUp() async throws {
            let cluster = DriverCluster()
            let storages = try await Self.start(cluster)
            let oldLeader = try await cluster.waitForLeader()
            let others = cluster.ids.filter { $0 != oldLeader }
            let full = try #require(storages[oldLeader])
            full.full = true

            // The first proposal reaches the log write and waits; it and every later one get an answer
            // (refused, or outcome unknown), none hangs until the deadline and none stops the node.
            for attempt in 0..<3 {
                await #expect(throws: RaftError.self, "attempt \(attempt)") {
                    _ = try await cluster.node(oldLeader).propose(KVStateMachine.command("lost", "\(attempt)"),
                                                                  client: .none, sequence: 0)
                }
            }
            #expect(full.refused > 0)
            let refusal = await #expect(throws: RaftError.self) {
                _ = try await cluster.node(oldLeader).propose(KVStateMachine.command("late", "1"), client: .none, sequence: 0)
            }
            #expect(refusal?.description.contains("disk is full") == true, "\(String(describing: refusal))")
            #expect(cluster.node(oldLeader).status.isRunning)

            let newLeader = try await cluster.waitForLeader(among: others)
            _ = try await cluster.node(newLeader).propose(KVStateMachine.command("after", "1"), client: .none, sequence: 0)

            full.full = false
            let target = cluster.highestCommit
            #expect(await cluster.waitForApplied(target))
            #expect(cluster.machine(oldLeader).values["after"] == "1")
            #expect(cluster.machine(oldLeader).values == cluster.machine(newLeader).values)
            // Requests through it are accepted again.
            _ = try await cluster.node(oldLeader).propose(KVStateMachine.command("through-it", "1"), client: .none, sequence: 0)
            #expect(await cluster.waitForApplied(cluster.highestCommit))
            #expect(cluster.ids.allSatisfy { cluster.machine($0).values["through-it"] == "1" })
            await cluster.stopAll()
        }

        /// Stopping a node that waits for space returns: the wait notices the stop.
        @Test func aNodeWaitingForSpaceStops() async throws {
            let cluster = DriverCluster()
            let storages = try await Self.start(cluster)
            let leader = try await cluster.waitForLeader()
            let follower = try #require(cluster.ids.first { $0 != leader })
            try #require(storages[follower]).full = true
            _ = try await cluster.node(leader).propose(KVStateMachine.command("k", "v"), client: .none, sequence: 0)
            #expect(await pollUntil { (storages[follower]?.refused ?? 0) > 0 })
            await cluster.stop(follower)
            #expect(!cluster.node(follower).status.isRunning)
            await cluster.stopAll()
        }
    }
}
