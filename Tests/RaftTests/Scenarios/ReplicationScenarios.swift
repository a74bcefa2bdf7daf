@testable import Raft
import Testing

/// Proposals: forwarding, retries with client-side deduplication, the uncommitted-bytes cap, and a
/// leader that was paused while a successor took over.
@Suite struct ReplicationScenarios {
    @Test("a proposal forwarded by a follower is committed everywhere")
    func forwardedProposalCommits() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let follower = cluster.ids.first { $0 != leader }!

        let proposal = try cluster.propose(on: follower)
        #expect(proposal.index == nil, "a follower forwards instead of appending")
        cluster.stabilize()
        cluster.tick()
        #expect(cluster.delivered.contains { $0.kind == .propose && $0.from == follower && $0.to == leader })
        for id in cluster.ids { #expect(cluster[id].machine.applied == [proposal.command], "node \(id)") }
        cluster.finish()
    }

    @Test("a forwarded proposal retried after a leader crash is applied once (the state machine deduplicates)")
    func retriedProposalAppliesOnce() throws {
        let cluster = TestCluster(voters: 3)
        let old = try #require(cluster.electLeader())
        let follower = cluster.ids.first { $0 != old }!
        let command = TestCommand(client: 7, seq: 1, payload: Array("put x=1".utf8))

        // The old leader replicates the command but never hears back, so it cannot tell the client.
        cluster.dropRule = { $0.kind == .appendResponse && $0.to == old }
        try cluster.withCore(follower) { core throws(RaftError) in try core.propose(command.encoded) }
        cluster.stabilize()
        #expect(cluster.core(old).commitIndex < cluster.core(old).lastIndex)
        cluster.crash(old)
        cluster.dropRule = nil

        // The client times out and sends the same command again, through the same follower.
        let new = try #require(cluster.electLeader())
        try cluster.withCore(follower) { core throws(RaftError) in try core.propose(command.encoded) }
        cluster.stabilize()
        cluster.restart(old)
        cluster.tick(5)

        let log = cluster.core(new)
        let copies = (1...log.lastIndex).count(where: { log.entry(at: $0)?.data == command.encoded })
        #expect(copies == 2, "both attempts are in the log")
        for id in cluster.ids {
            #expect(cluster[id].machine.applied == [command], "node \(id)")
            #expect(cluster[id].machine.duplicates == 1, "node \(id)")
        }
        cluster.finish()
    }

    @Test("a leader without a quorum fails proposals fast with proposalDropped once the uncommitted cap is reached")
    func uncommittedCapDropsProposals() throws {
        let cap = 1_000
        let cluster = TestCluster(voters: 3) { $0.maxUncommittedBytes = cap }
        let leader = try #require(cluster.electLeader())
        cluster.isolate(leader)

        let payload = [UInt8](repeating: 0xAB, count: 100)
        let entryBytes = Entry(term: 0, index: 0, data: TestCommand(client: 1, seq: 1, payload: payload).encoded).byteCount
        var accepted: [TestCommand] = []
        var failure: RaftError?
        for _ in 0..<100 {
            do {
                accepted.append(try cluster.propose(on: leader, payload: payload).command)
            } catch {
                failure = error
                break
            }
        }
        #expect(accepted.count == cap / entryBytes)
        guard case .proposalDropped = failure else {
            Issue.record("expected proposalDropped, got \(String(describing: failure))")
            return
        }
        for _ in 0..<5 {
            #expect(throws: RaftError.self) { try cluster.propose(on: leader, payload: payload) }
        }

        cluster.heal()
        cluster.tick(3)
        #expect(cluster.core(leader).role == .leader)
        let later = cluster.proposeCommitted(2)
        for id in cluster.ids { #expect(cluster[id].machine.applied == accepted + later, "node \(id)") }
        cluster.finish()
    }

    @Test("a paused leader acknowledges nothing once a successor exists, and steps down when resumed")
    func pausedLeaderIsDeposedCleanly() throws {
        let cluster = TestCluster(voters: 3)
        let old = try #require(cluster.electLeader())
        let oldTerm = cluster.core(old).term
        let base = cluster.proposeCommitted(2)

        cluster.pause(old)
        let new = try #require(cluster.electLeader())
        #expect(new != old)
        let successor = cluster.proposeCommitted(2, on: new)

        cluster.resume(old)
        #expect(cluster.core(old).role == .leader && cluster.core(old).term == oldTerm, "it does not know yet")
        let commitAtResume = cluster.core(old).commitIndex
        var orphans: [TestCommand] = []
        for _ in 0..<2 {
            let proposal = try cluster.propose(on: old)
            #expect(proposal.index != nil, "the old leader still appends")
            orphans.append(proposal.command)
        }
        try cluster.withCore(old) { core throws(RaftError) in try core.readIndex(context: Array("stale".utf8)) }
        // One exchange with its peers must depose it without committing anything of its term.
        cluster.stabilize()
        #expect(cluster.core(old).role == .follower)
        #expect(cluster.core(old).term == cluster.core(new).term)
        #expect(cluster.core(old).commitIndex == commitAtResume)

        cluster.tick(5)
        #expect(cluster[old].readStates.isEmpty)
        for id in cluster.ids {
            #expect(cluster[id].machine.applied == base + successor, "node \(id)")
            #expect(orphans.allSatisfy { !cluster[id].machine.applied.contains($0) })
        }
        cluster.finish()
    }
}
