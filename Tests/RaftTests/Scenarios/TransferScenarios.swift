@testable import Raft
import Testing

/// Leadership transfer (Raft dissertation §3.10): to an up-to-date node, to a lagging one (caught up
/// first), and abandoned after an election timeout when the target does not answer.
@Suite struct TransferScenarios {
    @Test("leadership transfers to an up-to-date follower in the next term")
    func transferToUpToDateTarget() throws {
        let cluster = TestCluster(voters: 3)
        let old = try #require(cluster.electLeader())
        let term = cluster.core(old).term
        let before = cluster.proposeCommitted(2)
        let target = cluster.ids.first { $0 != old }!

        cluster.withCore(old) { $0.transferLeadership(to: target) }
        cluster.stabilize()
        #expect(cluster.core(target).role == .leader)
        #expect(cluster.core(target).term == term + 1)
        #expect(cluster.core(old).role == .follower && cluster.core(old).leader == target)

        let after = cluster.proposeCommitted(2, on: target)
        for id in cluster.ids { #expect(cluster[id].machine.applied == before + after, "node \(id)") }
        cluster.finish()
    }

    @Test("leadership transfer to a lagging follower first catches it up, refusing proposals meanwhile")
    func transferToLaggingTarget() throws {
        let cluster = TestCluster(voters: 3)
        let old = try #require(cluster.electLeader())
        let target = cluster.ids.first { $0 != old }!
        cluster.isolate(target)
        let before = cluster.proposeCommitted(5)
        cluster.heal()
        try #require(cluster.core(target).lastIndex < cluster.core(old).lastIndex)

        var caughtUpWhenAsked: Bool?
        cluster.onDeliver = { [unowned cluster] message in
            guard message.kind == .timeoutNow else { return }
            caughtUpWhenAsked = cluster.core(message.to).lastIndex == cluster.core(message.from).lastIndex
        }
        cluster.withCore(old) { $0.transferLeadership(to: target) }
        #expect(throws: RaftError.self) { try cluster.propose(on: old) }

        let electionTicks = cluster[old].config.electionTicks
        #expect(cluster.tickUntil(maxTicks: electionTicks) { cluster.core(target).role == .leader } != nil)
        #expect(caughtUpWhenAsked == true)
        let after = cluster.proposeCommitted(2, on: target)
        for id in cluster.ids { #expect(cluster[id].machine.applied == before + after, "node \(id)") }
        cluster.finish()
    }

    @Test("a transfer to a node that is down is abandoned after one election timeout and proposals resume")
    func transferToDownTargetIsAbandoned() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let term = cluster.core(leader).term
        let before = cluster.proposeCommitted(2)
        let target = cluster.ids.first { $0 != leader }!
        cluster.crash(target)

        cluster.withCore(leader) { $0.transferLeadership(to: target) }
        cluster.stabilize()
        let electionTicks = cluster[leader].config.electionTicks
        cluster.tick(electionTicks - 1)
        let error = #expect(throws: RaftError.self) { try cluster.propose(on: leader) }
        guard case .proposalDropped = error else {
            Issue.record("expected proposalDropped during the transfer, got \(String(describing: error))")
            return
        }

        cluster.tick()
        #expect(cluster.core(leader).leadTransferee == noNode)
        let after = cluster.proposeCommitted(2)
        #expect(cluster.leader() == leader && cluster.core(leader).term == term)
        #expect(cluster[leader].machine.applied == before + after)
        cluster.finish()
    }
}
