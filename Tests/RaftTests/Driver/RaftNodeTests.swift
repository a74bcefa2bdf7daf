import Foundation
import Raft
import Testing

extension DriverTests {
    /// Three `RaftNode`s on real time over an `InMemoryNetwork`. Each test runs a cluster of its own.
    @Suite
    struct RaftNodeTests {
        @Test func electsOneLeader() async throws {
            let cluster = DriverCluster()
            try await cluster.start()
            let leader = try await cluster.waitForLeader()
            let leaders = cluster.ids.filter { cluster.node($0).status.role == .leader }
            #expect(leaders == [leader])
            #expect(cluster.node(leader).status.configuration.voters == Set(cluster.ids))
            await cluster.stopAll()
        }

        @Test func proposalsThroughLeaderAndFollowerApplyEverywhere() async throws {
            let cluster = DriverCluster()
            try await cluster.start()
            let leader = try await cluster.waitForLeader()
            let follower = cluster.ids.first { $0 != leader }!
            _ = try await cluster.node(leader).propose(KVStateMachine.command("a", "1"), client: .none, sequence: 0)
            _ = try await cluster.node(follower).propose(KVStateMachine.command("b", "2"), client: .none, sequence: 0)
            let applied = cluster.highestCommit
            #expect(await cluster.waitForApplied(applied))
            for id in cluster.ids {
                #expect(cluster.machine(id).values == ["a": "1", "b": "2"], "node \(id)")
            }
            await cluster.stopAll()
        }

        @Test func linearizableReadOnFollowerSeesEarlierWrite() async throws {
            let cluster = DriverCluster()
            try await cluster.start()
            let leader = try await cluster.waitForLeader()
            let follower = cluster.ids.first { $0 != leader }!
            // Slow the follower's link from the leader so that its state machine lags the commit.
            cluster.network.setDelay(.milliseconds(30), from: leader, to: follower)
            for i in 0..<5 {
                let command = KVStateMachine.command("k", "\(i)")
                _ = try await cluster.node(leader).propose(command, client: .none, sequence: 0)
            }
            let readIndex = try await cluster.node(follower).linearizableRead()
            #expect(readIndex >= 5)
            #expect(cluster.machine(follower).values["k"] == "4")
            #expect(try await cluster.node(leader).linearizableRead() >= readIndex)
            await cluster.stopAll()
        }

        @Test func retriedProposalIsAppliedOnce() async throws {
            let cluster = DriverCluster()
            try await cluster.start()
            let leader = try await cluster.waitForLeader()
            let follower = cluster.ids.first { $0 != leader }!
            let client = ClientID(high: 0xC11E, low: 42)
            let command = KVStateMachine.command("once", "x")
            let first = try await cluster.node(leader).propose(command, client: client, sequence: 1)
            // The same (client, sequence) again, through another node: answered from the session table.
            let again = try await cluster.node(follower).propose(command, client: client, sequence: 1)
            #expect(again == first)
            _ = try await cluster.node(leader).propose(KVStateMachine.command("once", "y"), client: client, sequence: 2)
            await #expect(throws: RaftError.self) {
                _ = try await cluster.node(leader).propose(command, client: client, sequence: 1)
            }
            #expect(await cluster.waitForApplied(cluster.highestCommit))
            for id in cluster.ids {
                #expect(cluster.machine(id).writes(of: "once") == 2, "node \(id)")
                #expect(cluster.machine(id).values["once"] == "y", "node \(id)")
            }
            await cluster.stopAll()
        }

        @Test func isolatedLeaderFailsProposalsAndTheOthersElectANewOne() async throws {
            let cluster = DriverCluster()
            try await cluster.start()
            let oldLeader = try await cluster.waitForLeader()
            let others = cluster.ids.filter { $0 != oldLeader }
            cluster.network.isolate(oldLeader)
            let started = ContinuousClock.now
            let lost = KVStateMachine.command("lost", "1")
            let error = await #expect(throws: RaftError.self) {
                _ = try await cluster.node(oldLeader).propose(lost, client: .none, sequence: 0)
            }
            // Check-quorum makes the old leader step down after an election timeout (~200 ms here), which
            // fails the proposal long before its 3 s deadline.
            #expect(error != .timeout)
            #expect(ContinuousClock.now - started < .seconds(2))
            let newLeader = try await cluster.waitForLeader(among: others)
            #expect(newLeader != oldLeader)
            _ = try await cluster.node(newLeader).propose(KVStateMachine.command("after", "1"), client: .none,
                                                          sequence: 0)
            cluster.network.heal(oldLeader)
            let target = cluster.highestCommit
            #expect(await cluster.waitForApplied(target))
            #expect(cluster.machine(oldLeader).values == cluster.machine(newLeader).values)
            await cluster.stopAll()
        }

        @Test func restartedNodeCatchesUpFromDiskStorage() async throws {
            let root = try makeDriverTempDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let cluster = DriverCluster()
            try await cluster.start { id in try DiskStorage(directory: "\(root)/node\(id)") }
            let leader = try await cluster.waitForLeader()
            let restarted = cluster.ids.first { $0 != leader }!
            let before = KVStateMachine.command("before", "1")
            _ = try await cluster.node(leader).propose(before, client: .none, sequence: 0)
            #expect(await cluster.waitForApplied(cluster.highestCommit))
            await cluster.stop(restarted)
            (cluster.storages[restarted] as? DiskStorage)?.close()
            for i in 0..<10 {
                _ = try await cluster.node(leader).propose(KVStateMachine.command("while-down", "\(i)"),
                                                           client: .none, sequence: 0)
            }
            let storage = try DiskStorage(directory: "\(root)/node\(restarted)")
            try await cluster.startNode(restarted, storage: storage, machine: KVStateMachine())
            #expect(await cluster.waitForApplied(cluster.highestCommit))
            #expect(cluster.machine(restarted).values == ["before": "1", "while-down": "9"])
            await cluster.stopAll()
        }

        @Test func laggingNodeCatchesUpThroughASnapshot() async throws {
            let cluster = DriverCluster { $0.snapshotInterval = 20 }
            try await cluster.start()
            let leader = try await cluster.waitForLeader()
            let lagging = cluster.ids.first { $0 != leader }!
            cluster.network.isolate(lagging)
            for i in 0..<50 {
                _ = try await cluster.node(leader).propose(KVStateMachine.command("k\(i % 7)", "\(i)"),
                                                           client: ClientID(low: 9), sequence: UInt64(i + 1))
            }
            #expect(await pollUntil { cluster.node(leader).status.snapshotIndex >= 20 })
            cluster.network.heal(lagging)
            #expect(await cluster.waitForApplied(cluster.highestCommit))
            #expect(cluster.machine(lagging).restoreCount >= 1)
            #expect(cluster.machine(lagging).values == cluster.machine(leader).values)
            // The session table came with the snapshot: a retry of the last proposal is not applied again.
            let writes = cluster.machine(lagging).writes(of: "k0")
            _ = try await cluster.node(lagging).propose(KVStateMachine.command("k0", "again"), client: ClientID(low: 9),
                                                        sequence: 50)
            #expect(cluster.machine(lagging).writes(of: "k0") == writes)
            await cluster.stopAll()
        }

        @Test func concurrentProposalsShareFsyncs() async throws {
            let root = try makeDriverTempDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let cluster = DriverCluster()
            try await cluster.start { id in try DiskStorage(directory: "\(root)/node\(id)") }
            let leader = try await cluster.waitForLeader()
            let node = cluster.node(leader)
            let storage = try #require(cluster.storages[leader] as? DiskStorage)
            let syncsBefore = storage.syncCount
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<64 {
                    group.addTask {
                        _ = try await node.propose(KVStateMachine.command("g\(i)", "1"), client: .none, sequence: 0)
                    }
                }
                try await group.waitForAll()
            }
            // Proposals that wait together are written together: far fewer fsyncs than proposals.
            let syncs = storage.syncCount - syncsBefore
            #expect(syncs <= 32, "\(syncs) fsyncs for 64 proposals")
            await cluster.stopAll()
        }
    }
}
