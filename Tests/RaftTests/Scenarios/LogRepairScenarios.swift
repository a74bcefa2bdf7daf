@testable import Raft
import Testing

/// A new leader forces followers' logs to match its own (Raft §5.3), never commits an entry of an
/// earlier term by counting replicas (§5.4.2, Figure 8), and backtracks a term per round trip.
@Suite struct LogRepairScenarios {
    /// Figure 7 of the Raft paper: the leader of term 8 and six possible follower logs, as the terms of
    /// entries 1, 2, …
    static let figure7: [(name: String, terms: [UInt64])] = [
        ("leader", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]),
        ("a", [1, 1, 1, 4, 4, 5, 5, 6, 6]),
        ("b", [1, 1, 1, 4]),
        ("c", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]),
        ("d", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]),
        ("e", [1, 1, 1, 4, 4, 4, 4]),
        ("f", [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
    ]

    /// An entry whose data is a function of its index and term, so equal (index, term) means equal entry.
    static func entry(index: UInt64, term: UInt64) -> Entry {
        Entry(term: term, index: index, data: TestCommand(client: term, seq: index).encoded)
    }

    /// The founders' bootstrap entries (all term 1) followed by `terms` as entries after them.
    static func log(voters: Int, then terms: [UInt64]) -> PersistedState {
        var state = PersistedState.bootstrap(voters: (1...UInt64(voters)).map { $0 })
        for term in terms {
            state.entries.append(entry(index: UInt64(state.entries.count) + 1, term: term))
        }
        return state
    }

    @Test("Figure 7: a new leader repairs every follower log shape (a–f)")
    func figure7LogsAreRepaired() throws {
        // Node 1 is the leader, nodes 2…7 are followers a…f. The seven bootstrap entries (term 1) stand for
        // the figure's first three; figure index i > 3 is log index i + 4.
        var states: [NodeID: PersistedState] = [:]
        for (offset, shape) in Self.figure7.enumerated() {
            var state = Self.log(voters: 7, then: Array(shape.terms.dropFirst(3)))
            state.hardState.term = 7
            states[NodeID(offset + 1)] = state
        }
        let cluster = TestCluster(states: states)
        cluster.campaign(1)
        cluster.stabilize()
        try #require(cluster.core(1).role == .leader)
        #expect(cluster.core(1).term == 8)

        let tail = cluster.proposeCommitted(2)
        let leader = cluster.core(1)
        for (offset, shape) in Self.figure7.enumerated().dropFirst() {
            let follower = cluster.core(NodeID(offset + 1))
            #expect(follower.lastIndex == leader.lastIndex, "follower \(shape.name)")
            let mismatch = (1...leader.lastIndex).first { follower.entry(at: $0) != leader.entry(at: $0) }
            #expect(mismatch == nil, "follower \(shape.name) differs at \(mismatch ?? 0)")
            #expect(cluster[NodeID(offset + 1)].machine.applied == cluster[1].machine.applied)
        }
        #expect(cluster[1].machine.applied.suffix(2) == tail[...])
        cluster.finish()
    }

    /// Figure 8 (a)–(b) with five nodes, one entry per append: S1 leads term 2 and gets entry 7 (`x`) to
    /// S2 only; S1 crashes; S5 wins term 3 with S3 and S4 and appends entries 7 and 8 that reach nobody;
    /// S5 crashes. Returns `x`.
    private func figure8Prefix(_ cluster: TestCluster) throws -> TestCommand {
        cluster.campaign(1)
        cluster.stabilize()
        try #require(cluster.core(1).role == .leader && cluster.core(1).term == 2)
        cluster.partition([[1, 2], [3, 4, 5]])
        let x = try cluster.propose(on: 1)
        try #require(x.index == 7)
        cluster.stabilize()
        #expect(cluster.core(2).entry(at: 7)?.term == 2)

        cluster.crash(1)
        cluster.heal()
        cluster.dropRule = { $0.from == 5 && $0.kind == .append }
        cluster.campaign(5)
        cluster.stabilize()
        try #require(cluster.core(5).role == .leader && cluster.core(5).term == 3)
        try cluster.propose(on: 5)
        cluster.stabilize()
        cluster.crash(5)
        cluster.dropRule = nil

        cluster.restart(1)
        return x.command
    }

    /// Campaigns on `id` (up to three times: a first try may only teach it the current term).
    private func elect(_ id: NodeID, in cluster: TestCluster) {
        for _ in 0..<3 where cluster.core(id).role != .leader {
            cluster.campaign(id)
            cluster.stabilize()
        }
    }

    /// The paper's Figure 8 assumes classic Raft: no pre-vote, no leader stickiness; one entry per append
    /// lets the network carry an old entry without the new leader's no-op.
    private static func classicOneEntryPerAppend(_ config: inout RaftConfig) {
        config.preVote = false
        config.checkQuorum = false
        config.maxMessageBytes = 1
    }

    @Test("Figure 8: a leader does not commit an entry of an earlier term by counting its replicas")
    func figure8OldTermEntryIsNotCommittedByCount() throws {
        let cluster = TestCluster(voters: 5, configure: Self.classicOneEntryPerAppend)
        let x = try figure8Prefix(cluster)

        // (c) S1 wins term 4 and spreads entry 7 (term 2) to a majority, but its own term-4 entry reaches
        // nobody: appends that would land it are lost.
        cluster.dropRule = { [unowned cluster] message in
            guard message.kind == .append, message.entries.contains(where: { $0.term == 4 }) else { return false }
            return cluster.core(message.to).entry(at: message.index)?.term == message.logTerm
        }
        elect(1, in: cluster)
        try #require(cluster.core(1).role == .leader && cluster.core(1).term == 4)
        cluster.stabilize()
        for id: NodeID in [1, 2, 3, 4] { #expect(cluster.core(id).entry(at: 7)?.term == 2, "node \(id)") }
        #expect(cluster.core(1).commitIndex == 6, "entry 7 is on a majority but of term 2: not committed")

        // (d) S1 crashes; S5 wins term 5 with S2, S3, S4 and overwrites entry 7 everywhere.
        cluster.crash(1)
        cluster.dropRule = nil
        cluster.restart(5)
        elect(5, in: cluster)
        try #require(cluster.core(5).role == .leader && cluster.core(5).term == 5)
        cluster.tick(3)
        for id: NodeID in [2, 3, 4, 5] { #expect(cluster.core(id).entry(at: 7)?.term == 3, "node \(id)") }
        #expect(cluster.ids.allSatisfy { !cluster[$0].machine.applied.contains(x) })
        cluster.finish()
    }

    @Test("Figure 8 (e): once an entry of the leader's term is on a majority, the old entry is committed for good")
    func figure8CurrentTermEntryCommitsOldOne() throws {
        let cluster = TestCluster(voters: 5, configure: Self.classicOneEntryPerAppend)
        let x = try figure8Prefix(cluster)

        elect(1, in: cluster)
        try #require(cluster.core(1).role == .leader && cluster.core(1).term == 4)
        cluster.stabilize()
        #expect(cluster.core(1).commitIndex >= 8)
        cluster.tick(1)

        cluster.crash(1)
        cluster.restart(5)
        elect(5, in: cluster)
        #expect(cluster.core(5).role != .leader, "S5 lacks a committed entry and must lose")
        for id: NodeID in [2, 3, 4] {
            #expect(cluster.core(id).entry(at: 7)?.term == 2, "node \(id)")
            #expect(cluster[id].machine.applied.contains(x), "node \(id)")
        }
        cluster.finish()
    }

    @Test("a follower 10,000 entries behind with divergent terms catches up in round trips per term, not per entry")
    func divergentFollowerBacktracksByTerm() throws {
        let perTerm = 2_500
        let leaderTerms: [UInt64] = [3, 5, 7, 9]
        let followerTerms: [UInt64] = [2, 4, 6, 8]
        var leaderState = Self.log(voters: 3, then: leaderTerms.flatMap { Array(repeating: $0, count: perTerm) })
        leaderState.hardState.term = 9
        var followerState = Self.log(voters: 3, then: followerTerms.flatMap { Array(repeating: $0, count: perTerm) })
        followerState.hardState.term = 8
        let cluster = TestCluster(states: [1: leaderState, 2: leaderState, 3: followerState])

        cluster.campaign(1)
        cluster.stabilize()
        try #require(cluster.core(1).role == .leader)
        let rejections = cluster.deliveredCount { $0.kind == .appendResponse && $0.from == 3 && $0.reject }
        let appends = cluster.deliveredCount { $0.kind == .append && $0.to == 3 }
        #expect(rejections <= followerTerms.count + 1, "\(rejections) rejections")
        #expect(appends <= 2 * followerTerms.count + 4, "\(appends) appends")

        #expect(cluster[3].disk.entries == cluster[1].disk.entries)
        #expect(cluster.core(3).lastIndex == UInt64(3 + 4 * perTerm + 1))
        cluster.tick(1)
        #expect(cluster[3].machine.applied == cluster[1].machine.applied)
        #expect(cluster[3].machine.applied.count == 4 * perTerm)
        cluster.finish()
    }
}
