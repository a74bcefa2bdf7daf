@testable import Raft
import Testing

/// Log compaction and InstallSnapshot (Raft §7): a node that missed compacted entries gets the snapshot,
/// then entries, and a crash between receiving a snapshot and persisting it loses nothing.
@Suite struct SnapshotScenarios {
    /// Three nodes; `lagger` goes down after the first commands, the others commit more and compact.
    private func clusterWithCompactedLeader() throws -> (TestCluster, leader: NodeID, lagger: NodeID,
                                                         applied: [TestCommand], snapshotIndex: UInt64) {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let lagger = cluster.ids.first { $0 != leader }!
        var applied = cluster.proposeCommitted(5)
        cluster.crash(lagger)
        applied += cluster.proposeCommitted(20)
        let metadata = try cluster.compact(leader)
        for id in cluster.runningIDs where id != leader { try cluster.compact(id) }
        #expect(cluster.core(leader).firstIndex > cluster[lagger].disk.lastIndex + 1, "the lagger's next entry is gone")
        return (cluster, leader, lagger, applied, metadata.index)
    }

    @Test("a node that was down while the leader compacted catches up by snapshot, then by entries")
    func snapshotCatchUpAfterCompaction() throws {
        let (cluster, leader, lagger, before, snapshotIndex) = try clusterWithCompactedLeader()

        cluster.restart(lagger)
        cluster.tick(5)
        let snapshots = cluster.delivered.filter { $0.kind == .installSnapshot && $0.to == lagger }
        #expect(snapshots.count == 1)
        #expect(snapshots.first?.snapshot?.metadata.index == snapshotIndex)
        #expect(cluster[lagger].disk.snapshot?.metadata.index == snapshotIndex)
        #expect(cluster[lagger].machine.applied == before)

        let after = cluster.proposeCommitted(3)
        let lastSnapshot = cluster.delivered.lastIndex { $0.kind == .installSnapshot && $0.to == lagger }!
        #expect(cluster.delivered[lastSnapshot...].contains { $0.kind == .append && $0.to == lagger && !$0.entries.isEmpty })
        #expect(cluster[lagger].machine.applied == before + after)
        #expect(cluster.core(lagger).lastIndex == cluster.core(leader).lastIndex)

        // What the lagger stored is enough to restart it.
        cluster.crash(lagger)
        cluster.restart(lagger)
        cluster.tick(2)
        #expect(cluster[lagger].machine.applied == before + after)
        cluster.finish()
    }

    @Test("a crash after a snapshot is handed out but before it is persisted recovers")
    func crashDuringSnapshotInstallRecovers() throws {
        let (cluster, leader, lagger, before, snapshotIndex) = try clusterWithCompactedLeader()
        let diskBefore = cluster[lagger].disk

        cluster.crashBeforePersist = { id, ready in id == lagger && ready.snapshot != nil }
        cluster.restart(lagger)
        try #require(cluster.tickUntil(maxTicks: 20) { cluster[lagger].core == nil } != nil, "it got the snapshot")
        #expect(cluster[lagger].disk == diskBefore, "nothing of the snapshot was stored")

        cluster.restart(lagger)
        cluster.tick(10)
        #expect(cluster.deliveredCount { $0.kind == .installSnapshot && $0.to == lagger } == 2)
        #expect(cluster[lagger].disk.snapshot?.metadata.index == snapshotIndex)
        let after = cluster.proposeCommitted(3)
        #expect(cluster[lagger].machine.applied == before + after)
        #expect(cluster.core(lagger).lastIndex == cluster.core(leader).lastIndex)
        cluster.finish()
    }
}
