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
            let applied = cluster.node(leader).status.commitIndex
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
                _ = try await cluster.node(leader).propose(KVStateMachine.command("k", "\(i)"), client: .none, sequence: 0)
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
            #expect(await cluster.waitForApplied(cluster.node(leader).status.commitIndex))
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
            await #expect(throws: RaftError.self) {
                _ = try await cluster.node(oldLeader).propose(KVStateMachine.command("lost", "1"), client: .none,
                                                              sequence: 0)
            }
            // Within the request timeout (3 s): check-quorum makes the old leader step down sooner.
            #expect(ContinuousClock.now - started < .milliseconds(3500))
            let newLeader = try await cluster.waitForLeader(among: others)
            #expect(newLeader != oldLeader)
            _ = try await cluster.node(newLeader).propose(KVStateMachine.command("after", "1"), client: .none,
                                                          sequence: 0)
            cluster.network.heal(oldLeader)
            let target = cluster.node(newLeader).status.commitIndex
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
            _ = try await cluster.node(leader).propose(KVStateMachine.command("before", "1"), client: .none, sequence: 0)
            #expect(await cluster.waitForApplied(cluster.node(leader).status.commitIndex))
            await cluster.stop(restarted)
            (cluster.storages[restarted] as? DiskStorage)?.close()
            for i in 0..<10 {
                _ = try await cluster.node(leader).propose(KVStateMachine.command("while-down", "\(i)"),
                                                           client: .none, sequence: 0)
            }
            let storage = try DiskStorage(directory: "\(root)/node\(restarted)")
            try await cluster.startNode(restarted, storage: storage, machine: KVStateMachine())
            #expect(await cluster.waitForApplied(cluster.node(leader).status.commitIndex))
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
            #expect(await cluster.waitForApplied(cluster.node(leader).status.commitIndex))
            #expect(cluster.machine(lagging).restoreCount >= 1)
            #expect(cluster.machine(lagging).values == cluster.machine(leader).values)
            // The session table came with the snapshot: a retry of the last proposal is not applied again.
            let writes = cluster.machine(lagging).writes(of: "k0")
            _ = try await cluster.node(lagging).propose(KVStateMachine.command("k0", "again"), client: ClientID(low: 9),
                                                        sequence: 50)
            #expect(cluster.machine(lagging).writes(of: "k0") == writes)
            await cluster.stopAll()
        }
    }
}
