@testable import Raft
import Testing

/// Leader election (Raft §5.2, §5.4.1), pre-vote (dissertation §9.6), check-quorum (§4.2.3), and
/// determinism of the whole run.
@Suite struct ElectionScenarios {
    @Test("a cold start elects exactly one leader that every node follows", arguments: [3, 5])
    func coldStartElectsOneLeader(voters: Int) throws {
        let cluster = TestCluster(voters: voters)
        let leader = try #require(cluster.electLeader())
        cluster.tick(30)

        let leaders = cluster.ids.filter { cluster.core($0).role == .leader }
        #expect(leaders == [leader])
        #expect(Set(cluster.ids.map { cluster.core($0).term }) == [cluster.core(leader).term])
        #expect(cluster.ids.allSatisfy { cluster.core($0).leader == leader })
        cluster.finish()
    }

    @Test("after a leader crash a new leader is elected and every committed entry survives")
    func leaderCrashKeepsCommittedEntries() throws {
        let cluster = TestCluster(voters: 5)
        let old = try #require(cluster.electLeader())
        let before = cluster.proposeCommitted(5)
        let oldTerm = cluster.core(old).term

        cluster.crash(old)
        let new = try #require(cluster.electLeader())
        #expect(new != old)
        #expect(cluster.core(new).term > oldTerm)
        let after = cluster.proposeCommitted(5)
        for id in cluster.runningIDs {
            #expect(cluster[id].machine.applied == before + after, "node \(id)")
        }

        cluster.restart(old)
        cluster.tick(5)
        #expect(cluster[old].machine.applied == before + after)
        #expect(cluster.core(old).leader == new)
        cluster.finish()
    }

    @Test("a leader isolated with a minority steps down and its uncommitted suffix is truncated after heal")
    func minorityLeaderStepsDownAndLosesSuffix() throws {
        let cluster = TestCluster(voters: 5)
        let old = try #require(cluster.electLeader())
        let base = cluster.proposeCommitted(2)
        let buddy = cluster.ids.first { $0 != old }!
        cluster.partition([[old, buddy], cluster.ids.filter { $0 != old && $0 != buddy }])

        var stranded: [TestCommand] = []
        for _ in 0..<3 { stranded.append(try cluster.propose(on: old).command) }
        cluster.stabilize()
        #expect(cluster.core(buddy).lastIndex == cluster.core(old).lastIndex)
        #expect(cluster.core(old).commitIndex < cluster.core(old).lastIndex)

        let electionTicks = cluster[old].config.electionTicks
        #expect(cluster.tickUntil(maxTicks: 2 * electionTicks) { cluster.core(old).role != .leader } != nil,
                "check-quorum should depose a leader that hears only a minority")
        let new = try #require(cluster.electLeader())
        #expect(new != old && new != buddy)
        let fresh = cluster.proposeCommitted(3, on: new)

        cluster.heal()
        cluster.tick(5)
        let leaderCore = cluster.core(new)
        for id in cluster.ids {
            let core = cluster.core(id)
            #expect(core.lastIndex == leaderCore.lastIndex, "node \(id)")
            #expect((1...leaderCore.lastIndex).allSatisfy { core.entry(at: $0) == leaderCore.entry(at: $0) })
            #expect(cluster[id].machine.applied == base + fresh, "node \(id)")
        }
        cluster.finish()
    }

    @Test("a 2|2 split of four voters commits nothing and elects nobody")
    func evenSplitCommitsNothing() throws {
        let cluster = TestCluster(voters: 4)
        let old = try #require(cluster.electLeader())
        let base = cluster.proposeCommitted(2)
        let commitAtSplit = cluster.core(old).commitIndex
        let termAtSplit = cluster.core(old).term
        cluster.partition([[1, 2], [3, 4]])

        for _ in 0..<10 {
            for id in cluster.ids { _ = try? cluster.propose(on: id) }
            cluster.tick(10)
        }
        for id in cluster.ids {
            #expect(cluster.core(id).commitIndex == commitAtSplit, "node \(id)")
            #expect(cluster.core(id).role != .leader, "node \(id)")
            #expect(cluster[id].machine.applied == base, "node \(id)")
        }
        #expect(cluster.leadersByTerm.keys.max() == termAtSplit, "no leader in a later term")
        cluster.finish()
    }

    @Test("an isolated follower rejoining does not raise the term or disrupt the leader (pre-vote)")
    func isolatedFollowerRejoinsQuietly() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let term = cluster.core(leader).term
        let loner = cluster.ids.first { $0 != leader }!

        cluster.isolate(loner)
        let committed = cluster.proposeCommitted(3)
        cluster.tick(100)
        #expect(cluster.core(loner).term == term)
        #expect(cluster.dropped.contains { $0.kind == .requestPreVote && $0.from == loner }, "it did try")
        #expect(!cluster.dropped.contains { $0.kind == .requestVote && $0.from == loner })

        cluster.heal()
        cluster.tick(20)
        #expect(cluster.leader() == leader)
        #expect(cluster.ids.allSatisfy { cluster.core($0).term == term && cluster.core($0).leader == leader })
        #expect(cluster[loner].machine.applied == committed)
        cluster.finish()
    }

    @Test("a restarted node keeps its term and vote: it does not vote for another candidate in that term")
    func restartKeepsTermAndVote() throws {
        let cluster = TestCluster(voters: 3)
        cluster.isolate(3)
        // Node 1 never learns it won, so no leader is known anywhere and only the vote protects node 2.
        cluster.dropRule = { $0.kind == .requestVoteResponse && $0.to == 1 }
        cluster.campaign(1)
        cluster.stabilize()
        let term = cluster.core(1).term
        #expect(cluster.core(1).role == .candidate)
        #expect(cluster[2].disk.hardState.term == term && cluster[2].disk.hardState.vote == 1)

        cluster.crash(2)
        cluster.restart(2)
        #expect(cluster.core(2).term == term)
        #expect(cluster.core(2).vote == 1)

        cluster.heal()
        cluster.dropRule = nil
        let node3 = cluster.core(3)
        cluster.send(Message(kind: .requestVote, from: 3, to: 2, term: term,
                             logTerm: node3.lastTerm, index: node3.lastIndex))
        cluster.stabilize()
        let reply = try #require(cluster.delivered.last { $0.kind == .requestVoteResponse && $0.from == 2 })
        #expect(reply.reject)
        #expect(cluster.core(2).vote == 1)
        cluster.finish()
    }

    @Test("a candidate with an older log loses the election", arguments: [true, false])
    func candidateWithOlderLogLoses(preVote: Bool) throws {
        // Without check-quorum no voter ignores the candidate for leader stickiness: only its log counts.
        let cluster = TestCluster(voters: 3) {
            $0.preVote = preVote
            $0.checkQuorum = false
        }
        let old = try #require(cluster.electLeader())
        let stale = cluster.ids.first { $0 != old }!
        let current = cluster.ids.first { $0 != old && $0 != stale }!
        cluster.isolate(stale)
        let committed = cluster.proposeCommitted(3)
        cluster.crash(old)
        cluster.heal()

        cluster.campaign(stale)
        cluster.stabilize()
        #expect(cluster.core(stale).role != .leader)
        #expect(cluster.delivered.contains {
            $0.from == current && $0.to == stale && $0.reject
                && ($0.kind == .requestVoteResponse || $0.kind == .requestPreVoteResponse)
        })

        let new = try #require(cluster.electLeader())
        #expect(new == current)
        #expect(!cluster.leadersByTerm.values.contains(stale))
        cluster.tick(3)
        #expect(cluster[stale].machine.applied == committed)
        cluster.finish()
    }

    @Test("check-quorum: a leader that cannot hear a majority steps down within one check round")
    func checkQuorumDeposesCutOffLeader() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let electionTicks = cluster[leader].config.electionTicks
        cluster.isolate(leader)
        // Activity seen before the cut may carry the leader through the check already under way, so the
        // bound is that round plus one full election timeout.
        let ticks = try #require(cluster.tickUntil(maxTicks: 4 * electionTicks) { cluster.core(leader).role != .leader })
        #expect(ticks <= 2 * electionTicks)
        #expect(cluster.core(leader).role == .follower)
        #expect(cluster.core(leader).leader == noNode)
        cluster.finish()
    }

    @Test("check-quorum: a leader that hears a majority keeps leading")
    func checkQuorumKeepsLeaderWithMajority() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let term = cluster.core(leader).term
        cluster.crash(cluster.ids.first { $0 != leader }!)
        cluster.tick(10 * cluster[leader].config.electionTicks)
        #expect(cluster.leader() == leader)
        #expect(cluster.core(leader).term == term)
        cluster.finish()
    }

    @Test("the same seed gives the same sequence of Readies")
    func sameSeedSameReadies() {
        let first = scriptedRun(seed: 42)
        let second = scriptedRun(seed: 42)
        #expect(!first.isEmpty)
        #expect(first == second)
        #expect(scriptedRun(seed: 43) != first, "the seed should matter")
    }

    /// Elections, proposals, a leader crash and a restart: every input the harness can give.
    private func scriptedRun(seed: UInt64) -> [TracedReady] {
        let cluster = TestCluster(voters: 5, seed: seed)
        guard let first = cluster.electLeader() else { return [] }
        cluster.proposeCommitted(5)
        cluster.crash(first)
        cluster.electLeader()
        cluster.proposeCommitted(5)
        cluster.restart(first)
        cluster.tick(20)
        cluster.finish()
        return cluster.readyTrace
    }
}
