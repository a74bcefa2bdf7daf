import Testing
@testable import Replication

func randomIDs(_ count: Int, seed: UInt64) -> [ChunkID] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in ChunkID.random(&generator) }
}

@Suite struct PlacementTests {
    /// Placement is part of the cluster's format: every node, every build, every platform must agree.
    @Test func weightsAndOrderArePinned() {
        let id = ChunkID(of: Array("pachyderm".utf8))
        #expect(Placement.weight(of: id, on: 1) == 0x64d8_6378_014d_a74d)
        #expect(Placement.replicas(for: id, members: [1, 2, 3, 4, 5, 6, 7], count: 3) == [6, 7, 3])
    }

    @Test("replicas are distinct, stable and independent of member order", arguments: Seeds.ci(5))
    func stableAndDistinct(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let members: [MemberID] = (1...9).map { _ in generator.next() }
        for id in randomIDs(300, seed: seed) {
            let replicas = Placement.replicas(for: id, members: members, count: 3)
            #expect(replicas.count == 3 && Set(replicas).count == 3, "REPL_SEED=\(seed)")
            #expect(Placement.replicas(for: id, members: members.reversed() + members, count: 3) == replicas,
                    "order and duplicates must not matter; REPL_SEED=\(seed)")
            let ranking = Placement.ranking(for: id, members: members)
            #expect(Array(ranking.prefix(3)) == replicas, "replicas are the head of the ranking")
            #expect(Set(ranking) == Set(members))
            let weights = ranking.map { Placement.weight(of: id, on: $0) }
            #expect(weights == weights.sorted(by: >))
        }
        #expect(Placement.replicas(for: randomIDs(1, seed: seed)[0], members: [4, 4, 4], count: 3) == [4])
        #expect(Placement.replicas(for: randomIDs(1, seed: seed)[0], members: [], count: 3).isEmpty)
        #expect(Placement.replicas(for: randomIDs(1, seed: seed)[0], members: [1, 2], count: 0).isEmpty)
    }

    @Test("chunks spread evenly over members", arguments: [3, 5, 12])
    func balanced(memberCount: Int) {
        let members = (1...memberCount).map(MemberID.init)
        var primaries: [MemberID: Int] = [:]
        let ids = randomIDs(20_000, seed: UInt64(memberCount))
        for id in ids { primaries[Placement.replicas(for: id, members: members, count: 1)[0], default: 0] += 1 }
        let expected = Double(ids.count) / Double(memberCount)
        for member in members {
            let share = Double(primaries[member, default: 0])
            #expect(abs(share - expected) < expected * 0.1, "member \(member) has \(share), expected ~\(expected)")
        }
    }

    /// Adding one member to N moves ~1/(N+1) of the primaries, all to the new member, and each chunk's
    /// replica set gains at most that member.
    @Test("adding a member moves about 1/(N+1)", arguments: [2, 4, 7, 15])
    func addingAMember(memberCount: Int) {
        let before = (1...memberCount).map(MemberID.init)
        let newcomer = MemberID(1_000)
        let after = before + [newcomer]
        let ids = randomIDs(20_000, seed: 100 + UInt64(memberCount))
        var movedPrimaries = 0
        var changedSets = 0
        for id in ids {
            let old = Placement.replicas(for: id, members: before, count: 3)
            let new = Placement.replicas(for: id, members: after, count: 3)
            if old[0] != new[0] {
                movedPrimaries += 1
                #expect(new[0] == newcomer, "a primary moved between old members")
            }
            let gained = Set(new).subtracting(old)
            #expect(gained.isSubset(of: [newcomer]))
            if !gained.isEmpty { changedSets += 1 }
        }
        let expected = 1.0 / Double(memberCount + 1)
        let fraction = Double(movedPrimaries) / Double(ids.count)
        #expect(abs(fraction - expected) < 0.015, "moved \(fraction) of primaries, expected ~\(expected)")
        let expectedSets = min(3.0, Double(memberCount + 1)) / Double(memberCount + 1)
        let setFraction = Double(changedSets) / Double(ids.count)
        #expect(abs(setFraction - expectedSets) < 0.02, "changed \(setFraction) of replica sets, expected ~\(expectedSets)")
    }

    /// Removing a member changes only the replica sets that held it; everything else stays put.
    @Test("removing a member moves only its chunks", arguments: [3, 6, 10])
    func removingAMember(memberCount: Int) {
        let before = (1...memberCount).map(MemberID.init)
        let removed = MemberID(memberCount / 2 + 1)
        let after = before.filter { $0 != removed }
        for id in randomIDs(20_000, seed: 200 + UInt64(memberCount)) {
            let old = Placement.replicas(for: id, members: before, count: 3)
            let new = Placement.replicas(for: id, members: after, count: 3)
            if old.contains(removed) {
                // The survivors keep their order; one new member joins at the end.
                #expect(Array(new.prefix(old.count - 1)) == old.filter { $0 != removed })
            } else {
                #expect(new == old, "a chunk not on the removed member moved")
            }
        }
    }
}
