@testable import Raft
import Testing

/// ReadIndex (Raft dissertation §6.4): a read point is at least the commit index when the read was
/// asked, and only a leader a quorum still follows hands one out.
@Suite struct ReadScenarios {
    @Test("a read on the leader and a read on a follower return an index at or above the commit index at request time")
    func readIndexOnLeaderAndFollower() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let follower = cluster.ids.first { $0 != leader }!
        cluster.proposeCommitted(3)
        // One more proposal in flight: the read must not wait for it, nor return less than what is committed.
        try cluster.propose(on: leader)
        let commitAtRequest = cluster.core(leader).commitIndex

        try cluster.withCore(leader) { core throws(RaftError) in try core.readIndex(context: Array("on-leader".utf8)) }
        try cluster.withCore(follower) { core throws(RaftError) in try core.readIndex(context: Array("on-follower".utf8)) }
        cluster.stabilize()
        cluster.tick()

        let onLeader = try #require(cluster[leader].readStates.first { $0.context == Array("on-leader".utf8) })
        let onFollower = try #require(cluster[follower].readStates.first { $0.context == Array("on-follower".utf8) })
        #expect(onLeader.index >= commitAtRequest)
        #expect(onFollower.index >= commitAtRequest)
        #expect(cluster.core(follower).appliedIndex >= onFollower.index, "the follower can serve it")
        #expect(cluster[leader].readStates.count == 1 && cluster[follower].readStates.count == 1)
        cluster.finish()
    }

    @Test("a deposed leader that still believes it leads cannot serve a read")
    func deposedLeaderServesNoRead() throws {
        // Without check-quorum the cut-off leader never steps down by itself: only ReadIndex protects reads.
        let cluster = TestCluster(voters: 3) { $0.checkQuorum = false }
        let old = try #require(cluster.electLeader())
        cluster.proposeCommitted(2)
        cluster.isolate(old)
        try #require(cluster.tickUntil(maxTicks: 100) { cluster.leader() != old } != nil)
        let new = try #require(cluster.leader())
        cluster.proposeCommitted(2, on: new)
        #expect(cluster.core(old).role == .leader, "it still believes it leads")

        try cluster.withCore(old) { core throws(RaftError) in try core.readIndex(context: Array("stale".utf8)) }
        cluster.tick(10)
        #expect(cluster[old].readStates.isEmpty)

        cluster.heal()
        cluster.tick(5)
        #expect(cluster.core(old).role == .follower)
        #expect(cluster[old].readStates.isEmpty, "not even after the partition heals")
        cluster.finish()
    }

    @Test("a lease read is answered by the leader at once, without a heartbeat round, and only when enabled")
    func leaseReadSkipsTheHeartbeatRound() throws {
        for leaseRead in [false, true] {
            let cluster = TestCluster(voters: 3) { $0.leaseRead = leaseRead }
            let leader = try #require(cluster.electLeader())
            cluster.proposeCommitted(2)
            let heartbeatsBefore = cluster.deliveredCount { $0.kind == .heartbeat }
            try cluster.withCore(leader) { core throws(RaftError) in try core.readIndex(context: Array("lease".utf8)) }
            // Only the leader's own Ready is processed: no message reaches a follower.
            _ = cluster.processReady(leader)
            let answered = cluster[leader].readStates.contains { $0.context == Array("lease".utf8) }
            #expect(answered == leaseRead, "leaseRead \(leaseRead)")
            cluster.stabilize()
            let heartbeats = cluster.deliveredCount { $0.kind == .heartbeat } - heartbeatsBefore
            #expect(cluster[leader].readStates.count == 1, "answered once either way (leaseRead \(leaseRead))")
            #expect((heartbeats == 0) == leaseRead, "a ReadIndex round sends heartbeats; a lease read does not")
            cluster.finish()
        }
    }
}
