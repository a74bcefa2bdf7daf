@testable import Raft
import Testing

/// Single-server membership changes (Raft dissertation §4.1–4.2): learners, promotion, growing and
/// shrinking under load, and removing the leader.
@Suite struct MembershipScenarios {
    @Test("a learner catches up without voting and, once promoted, counts toward the quorum")
    func learnerCatchesUpAndIsPromoted() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let before = cluster.proposeCommitted(20)

        cluster.addNode(4)
        try #require(cluster.changeMembership(ConfigChange(.addLearner, node: 4)) != nil)
        cluster.tick(50)
        #expect(cluster.core(4).lastIndex == cluster.core(leader).lastIndex)
        #expect(cluster[4].machine.applied == before)
        #expect(!cluster.core(4).isVoter)
        #expect(cluster.core(leader).configuration == Configuration(voters: [1, 2, 3], learners: [4]))
        #expect(!cluster.delivered.contains { $0.from == 4 && ($0.kind == .requestPreVote || $0.kind == .requestVote) })
        #expect(cluster.leader() == leader, "a learner never disrupts")

        try #require(cluster.changeMembership(ConfigChange(.addVoter, node: 4)) != nil)
        cluster.tick(2)
        for id in cluster.ids {
            #expect(cluster.core(id).configuration == Configuration(voters: [1, 2, 3, 4]), "node \(id)")
        }
        // With one original follower down, committing needs the promoted node: 3 of 4.
        cluster.crash(cluster.ids.first { $0 != leader && $0 != 4 }!)
        let after = cluster.proposeCommitted(3)
        #expect(cluster[4].machine.applied == before + after)
        cluster.finish()
    }

    @Test("membership 3→4→5→3 under load: proposals keep flowing and are applied in one order everywhere")
    func membershipChangesUnderLoad() throws {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        let originals = cluster.ids.filter { $0 != leader }
        cluster.addNode(4)
        cluster.addNode(5)
        let plan: [(ConfigChange, Set<NodeID>)] = [
            (ConfigChange(.addVoter, node: 4), [1, 2, 3, 4]),
            (ConfigChange(.addVoter, node: 5), [1, 2, 3, 4, 5]),
            (ConfigChange(.remove, node: originals[0]), [leader, originals[1], 4, 5]),
            (ConfigChange(.remove, node: originals[1]), [leader, 4, 5]),
        ]

        var proposed: [TestCommand] = []
        for (change, voters) in plan {
            for _ in 0..<5 { proposed.append(try cluster.propose(on: leader).command) }
            try cluster.withCore(leader) { core throws(RaftError) in try core.proposeConfigChange(change) }
            for _ in 0..<5 { proposed.append(try cluster.propose(on: leader).command) }
            cluster.stabilize()
            cluster.tick(2)
            #expect(cluster.core(leader).configuration.voters == voters, "after \(change)")
            #expect(cluster[leader].machine.applied == proposed, "after \(change)")
        }

        cluster.tick(10)
        #expect(cluster.leader() == leader)
        for id in [leader, 4, 5] {
            #expect(cluster[id].machine.applied == proposed, "node \(id)")
            #expect(cluster[id].machine.configuration.voters == [leader, 4, 5], "node \(id)")
        }
        cluster.finish()
    }

    @Test("a removed leader steps down once its removal commits, and the rest elect a new leader")
    func removingTheLeader() throws {
        let cluster = TestCluster(voters: 3)
        let old = try #require(cluster.electLeader())
        let oldTerm = cluster.core(old).term
        let before = cluster.proposeCommitted(3)

        let index = try #require(try cluster.withCore(old) { core throws(RaftError) in
            try core.proposeConfigChange(ConfigChange(.remove, node: old))
        })
        #expect(cluster.core(old).role == .leader, "it leads until the change commits")
        cluster.stabilize()
        #expect(cluster.core(old).commitIndex >= index)
        #expect(cluster.core(old).role == .follower)
        #expect(!cluster.core(old).isVoter)

        let new = try #require(cluster.electLeader())
        #expect(new != old)
        let after = cluster.proposeCommitted(3)
        for id in cluster.ids where id != old {
            #expect(cluster[id].machine.applied == before + after, "node \(id)")
            #expect(cluster.core(id).configuration.voters == Set(cluster.ids.filter { $0 != old }))
        }
        cluster.tick(50)
        #expect(cluster.core(old).role == .follower, "a removed node never campaigns")
        #expect(cluster.core(old).term == oldTerm)
        #expect(cluster.leader() == new)
        cluster.finish()
    }
}
