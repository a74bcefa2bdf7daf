import Testing
@testable import Replication

@Suite struct ChunkWriterTests {
    @Test("every chunk lands on exactly its rendezvous replicas", arguments: [3, 5])
    func placesEveryChunkOnItsReplicas(memberCount: Int) async throws {
        let cluster = try await TestCluster.make(memberCount)
        let chunks = try await smallFrames(40, seed: 11)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy())
        let receipts = try await writer.write(chunks, live: cluster.members)
        #expect(receipts.map(\.id) == chunks.map(\.id))
        for (frame, receipt) in zip(chunks, receipts) {
            let replicas = Placement.replicas(for: frame.id, members: cluster.members, count: 3)
            #expect(receipt.holders == replicas, "holders in placement order")
            #expect(receipt.missing.isEmpty && !receipt.isUnderReplicated)
            #expect(cluster.holders(of: frame.id) == replicas.sorted(), "on its replicas and nowhere else")
        }
        for member in cluster.members {
            let assigned = chunks.contains { Placement.replicas(for: $0.id, members: cluster.members, count: 3).contains(member) }
            #expect(cluster.peers.calls(.has, on: member) == (assigned ? 1 : 0), "one has per replica per write")
            #expect(cluster.peers.calls(.put, on: member) == (assigned ? 1 : 0), "one put per replica per batch")
        }
    }

    @Test func rewritingHeldChunksSendsNoFrames() async throws {
        let cluster = try await TestCluster.make(3)
        let chunks = try await smallFrames(12, seed: 12)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy())
        let first = try await writer.write(chunks, live: cluster.members)
        cluster.peers.resetCounts()
        let second = try await writer.write(chunks + [chunks[0]], live: cluster.members)
        #expect(second == first + [first[0]], "a chunk given twice gets its receipt twice")
        #expect(cluster.peers.calls(.put) == 0, "has said every replica holds them: dedup sends nothing")
        #expect(cluster.peers.calls(.has) == 3)
    }

    @Test func oneReplicaDownStillAcknowledgesUnderReplicated() async throws {
        let cluster = try await TestCluster.make(3)
        cluster.peers.setFaults { $0.down = [2] }
        let chunks = try await smallFrames(10, seed: 13)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy())
        let receipts = try await writer.write(chunks, live: cluster.members)
        for receipt in receipts {
            #expect(receipt.missing == [2])
            #expect(Set(receipt.holders) == [1, 3])
            #expect(receipt.isUnderReplicated && receipt.replicaCount == 3)
            #expect(cluster.holders(of: receipt.id) == [1, 3])
        }
    }

    @Test func twoOfThreeDownRefusesAndNamesTheDownNodes() async throws {
        let cluster = try await TestCluster.make(3)
        cluster.peers.setFaults { $0.down = [2, 3] }
        let chunks = try await smallFrames(4, seed: 14)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy())
        do throws(ReplicationError) {
            _ = try await writer.write(chunks, live: cluster.members)
            Issue.record("a write with one durable copy was acknowledged")
        } catch {
            guard case .insufficientReplicas(let id, let durable, let required, let why) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(id == chunks[0].id, "names the first chunk that fell short")
            #expect(durable == 1 && required == 2)
            #expect(why.contains("node 2 is unavailable") && why.contains("node 3 is unavailable"), "\(why)")
            #expect(error.description.contains("needs 2"))
        }
    }

    @Test func tooFewLiveMembersIsRefusedBeforeSendingAnything() async throws {
        let cluster = try await TestCluster.make(3)
        let chunks = try await smallFrames(3, seed: 15)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy())
        await #expect(throws: ReplicationError.self) { try await writer.write(chunks, live: [1]) }
        await #expect(throws: ReplicationError.self) { try await writer.write(chunks, live: []) }
        #expect(cluster.peers.calls(.has) + cluster.peers.calls(.put) == 0)
        // A one-node cluster is configured with minReplicas 1.
        let single = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy(replicationFactor: 3, minReplicas: 1))
        let receipts = try await single.write(chunks, live: [1])
        #expect(receipts.allSatisfy { $0.holders == [1] && $0.missing.isEmpty && !$0.isUnderReplicated })
        #expect(try await writer.write([], live: []) == [])
    }

    @Test func aReplicaOutOfSpaceMissesTheChunkOthersTakeIt() async throws {
        let cluster = try await TestCluster.make(3, full: [3])
        let chunks = try await smallFrames(6, seed: 16)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy())
        let receipts = try await writer.write(chunks, live: cluster.members)
        for receipt in receipts {
            #expect(receipt.missing == [3])
            #expect(Set(receipt.holders) == [1, 2])
        }
        #expect(cluster.held(on: 3).isEmpty)
        // With minReplicas 3 the same write is refused, and the reason names the full disk.
        let strict = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy(replicationFactor: 3, minReplicas: 3))
        do throws(ReplicationError) {
            _ = try await strict.write(chunks, live: cluster.members)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.description.contains("node 3: resource exhausted"), "\(error)")
            // Full, not unavailable: the only replica that missed it refused for space.
            guard case .replicasFull = error else {
                Issue.record("expected replicasFull, got \(error)")
                return
            }
        }
    }

    @Test func replicasAreWrittenConcurrently() async throws {
        let cluster = try await TestCluster.make(3)
        cluster.peers.setFaults { $0.delays = [3: .milliseconds(300)] }
        let chunks = try await smallFrames(5, seed: 17)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy())
        let receipts = try await writer.write(chunks, live: cluster.members)
        #expect(receipts.allSatisfy { $0.missing.isEmpty }, "slow is not down")
        #expect(cluster.peers.maxInFlight(.has) >= 2, "the slow replica does not hold up the others")
    }

    /// A replica that does not answer (paused, overloaded) must not hold every write up until its calls
    /// time out: once W replicas hold every chunk, the rest get the straggler grace and no more.
    @Test func aStragglerDoesNotHoldUpTheWriteOnceWReplicasHaveIt() async throws {
        let cluster = try await TestCluster.make(3)
        cluster.peers.setFaults { $0.delays = [3: .seconds(600)] }
        let chunks = try await smallFrames(4, seed: 19)
        let writer = ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy(), stragglerGrace: .milliseconds(200))
        let clock = ContinuousClock()
        let start = clock.now
        let receipts = try await writer.write(chunks, live: cluster.members)
        // Not a speed check: the straggler would take 600 s; ending far sooner shows the grace ended it.
        #expect(clock.now - start < .seconds(300))
        #expect(receipts.allSatisfy { $0.holders.count >= 2 }, "\(receipts)")
    }

    @Test func batchesStayUnderTheByteBoundAndKeepOrder() async throws {
        let chunks = try await smallFrames(30, seed: 18, sizes: 1_000...3_000)
        let bound = 8_000
        let batches = ChunkWriter.batches(chunks, bytesMax: bound)
        #expect(Array(batches.joined()) == chunks)
        #expect(batches.allSatisfy { $0.count == 1 || $0.reduce(0) { $0 + $1.storedLength } <= bound })
        #expect(batches.count > 1)
        #expect(ChunkWriter.batches(chunks, bytesMax: 1).count == chunks.count, "a frame over the bound goes alone")
    }

    @Test func policyQuorums() {
        let policy = ReplicationPolicy()
        #expect(policy.replicaCount(liveCount: 5) == 3 && policy.replicaCount(liveCount: 2) == 2)
        #expect(policy.writeQuorum(liveCount: 5) == 2)
        #expect(policy.writeQuorum(liveCount: 2) == 2)
        #expect(policy.writeQuorum(liveCount: 1) == nil, "a cluster of 3 with 2 down refuses")
        #expect(ReplicationPolicy(minReplicas: 1).writeQuorum(liveCount: 1) == 1)
        #expect(ReplicationPolicy(replicationFactor: 3, minReplicas: 3).writeQuorum(liveCount: 4) == 3)
        #expect(ReplicationPolicy(replicationFactor: 1, minReplicas: 1).writeQuorum(liveCount: 4) == 1)
    }
}
