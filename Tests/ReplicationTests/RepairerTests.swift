import Testing
@testable import Replication

@Suite struct RepairerTests {
    private let policy = ReplicationPolicy()

    private func written(_ count: Int, chunks: Int, seed: UInt64) async throws -> (TestCluster, [ChunkFrame]) {
        let cluster = try await TestCluster.make(count)
        let frames = try await smallFrames(chunks, seed: seed)
        _ = try await ChunkWriter(peers: cluster.peers, policy: policy).write(frames, live: cluster.members)
        cluster.peers.resetCounts()
        return (cluster, frames)
    }

    private func fastRepairer(_ cluster: TestCluster, time: VirtualTime = VirtualTime(), pageSize: Int = 7) -> Repairer {
        Repairer(peers: cluster.peers, policy: policy, bytesPerSecond: 1 << 30, clock: time.clock, listPageSize: pageSize)
    }

    @Test func aDownMembersChunksGetNewCopiesAndSurplusGoesWhenItReturns() async throws {
        let (cluster, frames) = try await written(4, chunks: 30, seed: 31)
        let repairer = fastRepairer(cluster)
        let lostMember: MemberID = 2
        let affected = frames.filter { cluster.holders(of: $0.id).contains(lostMember) }
        cluster.peers.setFaults { $0.down = [lostMember] }
        let live: [MemberID] = [1, 3, 4]

        let first = await repairer.runPass(live: live, healthy: false)
        #expect(first.chunks == frames.count)
        #expect(first.underReplicatedChunks == affected.count)
        #expect(first.underReplicatedBytes == affected.reduce(0) { $0 + $1.rawLength })
        #expect(first.copied == affected.count && first.copiedBytes == first.underReplicatedBytes)
        #expect(first.dropped == 0 && first.failures.isEmpty && first.lost.isEmpty)
        for frame in frames {
            #expect(Set(cluster.holders(of: frame.id)).isSuperset(of: Placement.replicas(for: frame.id, members: live, count: 3)))
        }
        #expect(await repairer.runPass(live: live, healthy: false).isSettled)

        cluster.peers.setFaults { $0.down = [] }
        let back = await repairer.runPass(live: cluster.members, healthy: true)
        #expect(back.underReplicatedChunks == 0, "every chunk had at least 3 copies")
        #expect(back.dropped == affected.count, "the stand-in copies are surplus once the member is back")
        #expect(back.copied == 0)
        for frame in frames {
            #expect(cluster.holders(of: frame.id) == Placement.replicas(for: frame.id, members: cluster.members, count: 3).sorted())
        }
        #expect(await repairer.runPass(live: cluster.members, healthy: true).isSettled)
    }

    @Test func surplusCopiesStayWhileTheClusterIsUnhealthy() async throws {
        let (cluster, frames) = try await written(4, chunks: 10, seed: 32)
        let stray = frames[0]
        let outsider = try #require(cluster.members.first { !cluster.holders(of: stray.id).contains($0) })
        _ = await cluster.async(outsider).put([stray])
        let repairer = fastRepairer(cluster)
        let unhealthy = await repairer.runPass(live: cluster.members, healthy: false)
        #expect(unhealthy.dropped == 0 && cluster.holders(of: stray.id).count == 4)
        #expect(unhealthy.isSettled, "a surplus copy is nothing to repair")
        let healthy = await repairer.runPass(live: cluster.members, healthy: true)
        #expect(healthy.dropped == 1 && !cluster.holders(of: stray.id).contains(outsider))
    }

    @Test func aCorruptSourceIsSkippedForAnotherHolder() async throws {
        let (cluster, frames) = try await written(4, chunks: 6, seed: 33)
        let frame = frames[0]
        let replicas = Placement.replicas(for: frame.id, members: cluster.members, count: 3)
        // The best-ranked replica's copy is damaged on disk, and the third replica lost its copy.
        try await offPool { try damage(cluster.stores[replicas[0]]!.chunkPath(frame.id), at: ChunkFrame.headerSize + 3) }
        _ = try await cluster.async(replicas[2]).delete([frame.id])
        let report = await fastRepairer(cluster).runPass(live: cluster.members, healthy: true)
        #expect(report.copied == 1, "to the replica that lost it, from the second one")
        #expect(report.failures.isEmpty && report.lost.isEmpty)
        #expect(cluster.holders(of: frame.id) == [replicas[1], replicas[2]].sorted(), "the corrupt copy was quarantined")
        let again = await fastRepairer(cluster).runPass(live: cluster.members, healthy: true)
        #expect(again.copied == 1 && cluster.holders(of: frame.id) == replicas.sorted())
    }

    @Test func aChunkWithNoGoodLiveCopyIsLost() async throws {
        let (cluster, frames) = try await written(3, chunks: 2, seed: 34)
        let frame = frames[0]
        for member in [MemberID(2), 3] { _ = try await cluster.async(member).delete([frame.id]) }
        try await offPool { try damage(cluster.stores[1]!.chunkPath(frame.id), at: ChunkFrame.headerSize + 1) }
        let report = await fastRepairer(cluster).runPass(live: cluster.members, healthy: true)
        #expect(report.lost == [frame.id])
        #expect(report.copied == 0)
    }

    @Test func aMemberWhoseListingFailsBlocksDropsNotCopies() async throws {
        let (cluster, frames) = try await written(4, chunks: 8, seed: 35)
        let stray = frames[0]
        let outsider = try #require(cluster.members.first { !cluster.holders(of: stray.id).contains($0) })
        _ = await cluster.async(outsider).put([stray])
        let victim = frames[1]
        let replicas = Placement.replicas(for: victim.id, members: cluster.members, count: 3)
        _ = try await cluster.async(replicas[1]).delete([victim.id])
        let silent = try #require(cluster.members.first { $0 != outsider && $0 != replicas[1] && !replicas.prefix(1).contains($0) })
        cluster.peers.setFaults { $0.down = [silent] }
        let report = await fastRepairer(cluster).runPass(live: cluster.members, healthy: true)
        #expect(report.failures.contains { $0.hasPrefix("list node \(silent)") })
        #expect(report.dropped == 0, "no drops on an incomplete inventory")
        #expect(cluster.holders(of: victim.id).contains(replicas[1]), "copies still made")
    }

    @Test func copiesArePacedToTheByteRate() async throws {
        let (cluster, frames) = try await written(4, chunks: 24, seed: 36)
        cluster.peers.setFaults { $0.down = [4] }
        let time = VirtualTime()
        time.advance(.seconds(100))
        let rate = 2_000
        let repairer = Repairer(peers: cluster.peers, policy: policy, bytesPerSecond: rate, clock: time.clock)
        let moved = frames.filter { cluster.holders(of: $0.id).contains(4) }.reduce(0) { $0 + $1.storedLength }
        let report = await repairer.runPass(live: [1, 2, 3], healthy: false)
        #expect(report.copied > 0 && moved > 2 * rate)
        // The bucket starts full (one second's worth); the rest waits at `rate` bytes a second.
        let expected = Double(moved - rate) / Double(rate)
        let elapsed = (time.now - .seconds(100)).secondsDouble
        #expect(abs(elapsed - expected) < 0.01, "took \(elapsed) s of virtual time, expected \(expected) s")
        #expect(time.sleeps > 0)
    }

    @Test func cancellingStopsThePass() async throws {
        let (cluster, _) = try await written(4, chunks: 20, seed: 37)
        cluster.peers.setFaults { $0.down = [1] }
        let repairer = Repairer(peers: cluster.peers, policy: policy, bytesPerSecond: 1, clock: .continuous, chunksInFlight: 1)
        let pass = Task { await repairer.runPass(live: [2, 3, 4], healthy: false) }
        try await Task.sleep(for: .milliseconds(100))
        pass.cancel()
        let report = await pass.value
        #expect(report.cancelled && !report.isSettled)
        #expect(report.copied <= 1)
    }

    @Test func tokenBucketPacesAndLetsBigAmountsThrough() {
        var bucket = TokenBucket(ratePerSecond: 100, burst: 50, now: .zero)
        #expect(bucket.take(50, now: .zero) == .zero, "a full bucket")
        #expect(bucket.take(100, now: .zero) == .seconds(1))
        #expect(bucket.take(100, now: .zero) == .seconds(2), "waits queue up")
        #expect(bucket.take(0, now: .seconds(10)) == .zero)
        #expect(bucket.take(1_000, now: .seconds(10)) == .milliseconds(9_500), "more than the burst still passes")
        var idle = TokenBucket(ratePerSecond: 10, burst: 20, now: .zero)
        #expect(idle.take(20, now: .seconds(1_000)) == .zero)
        #expect(idle.take(1, now: .seconds(1_000)) == .milliseconds(100), "idle time saves at most the burst")
    }
}
