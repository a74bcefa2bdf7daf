import Testing
@testable import Replication

/// A cluster's holdings after some damage: placed with every member up, then copies lost and strays
/// added at random, then some members down.
struct RepairScenario {
    var holders: [ChunkID: Set<MemberID>] = [:]
    var live: [MemberID] = []
    var replicationFactor = 3

    init(seed: UInt64, chunkCount: Int = 400) {
        var generator = SplitMix64(seed: seed)
        let memberCount = 2 + Int(generator.next() % 8)
        let members = (1...memberCount).map { MemberID($0 * 10) }
        replicationFactor = 1 + Int(generator.next() % 3)
        for id in randomIDs(chunkCount, seed: seed) {
            var held = Set(Placement.replicas(for: id, members: members, count: replicationFactor))
            if generator.next() % 4 == 0, let lost = held.randomElement(using: &generator) { held.remove(lost) }
            if generator.next() % 5 == 0 { held.insert(members[Int(generator.next() % UInt64(memberCount))]) }
            holders[id] = held
        }
        let downCount = Int(generator.next() % UInt64(memberCount))  // at least one member stays up
        var down = Set<MemberID>()
        while down.count < downCount { down.insert(members[Int(generator.next() % UInt64(memberCount))]) }
        live = members.filter { !down.contains($0) }
    }

    func targets(_ id: ChunkID) -> [MemberID] {
        Placement.replicas(for: id, members: live, count: replicationFactor)
    }

    func liveHolders(_ id: ChunkID) -> Set<MemberID> {
        holders[id, default: []].intersection(live)
    }

    /// Checks each directive against the state it was planned on, then carries it out.
    mutating func apply(_ plan: RepairPlanner.Plan, transfers: Bool = true, drops: Bool = true, seed: UInt64) {
        if transfers {
            for transfer in plan.transfers {
                #expect(liveHolders(transfer.chunk).contains(transfer.from), "source must hold it; REPL_SEED=\(seed)")
                #expect(targets(transfer.chunk).contains(transfer.to), "destination must be a replica; REPL_SEED=\(seed)")
                #expect(!holders[transfer.chunk, default: []].contains(transfer.to), "no copy onto a holder; REPL_SEED=\(seed)")
                holders[transfer.chunk, default: []].insert(transfer.to)
            }
        }
        if drops {
            for drop in plan.drops {
                #expect(Set(targets(drop.chunk)).isSubset(of: liveHolders(drop.chunk)),
                        "drop before the chunk is complete; REPL_SEED=\(seed)")
                #expect(!targets(drop.chunk).contains(drop.at), "drop of an intended replica; REPL_SEED=\(seed)")
                #expect(liveHolders(drop.chunk).contains(drop.at), "drop where nothing is held; REPL_SEED=\(seed)")
                holders[drop.chunk, default: []].remove(drop.at)
            }
        }
    }
}

@Suite struct RepairPlannerTests {
    @Test("after its transfers every chunk has R live copies on its replicas", arguments: Seeds.ci(30))
    func transfersRestoreReplication(seed: UInt64) {
        var scenario = RepairScenario(seed: seed)
        let plan = RepairPlanner.plan(holders: scenario.holders, live: scenario.live,
                                      replicationFactor: scenario.replicationFactor)
        #expect(plan.next == nil)
        #expect(plan == RepairPlanner.plan(holders: scenario.holders, live: scenario.live,
                                           replicationFactor: scenario.replicationFactor), "deterministic")
        let lost = Set(plan.lost)
        scenario.apply(plan, drops: false, seed: seed)
        let wanted = min(scenario.replicationFactor, scenario.live.count)
        for id in scenario.holders.keys {
            if scenario.liveHolders(id).isEmpty {
                #expect(lost.contains(id), "a chunk with no live copy must be reported lost; REPL_SEED=\(seed)")
                continue
            }
            #expect(!lost.contains(id))
            #expect(Set(scenario.targets(id)).isSubset(of: scenario.liveHolders(id)), "REPL_SEED=\(seed)")
            #expect(scenario.liveHolders(id).count >= wanted, "REPL_SEED=\(seed)")
        }
        // Drops (planned only for chunks already complete) converge to exactly the intended replicas.
        scenario.apply(RepairPlanner.plan(holders: scenario.holders, live: scenario.live,
                                          replicationFactor: scenario.replicationFactor), seed: seed)
        for id in scenario.holders.keys where !lost.contains(id) {
            #expect(scenario.liveHolders(id) == Set(scenario.targets(id)), "REPL_SEED=\(seed)")
        }
        #expect(RepairPlanner.plan(holders: scenario.holders, live: scenario.live,
                                   replicationFactor: scenario.replicationFactor).isEmpty, "converged; REPL_SEED=\(seed)")
    }

    /// Applying drops before the transfers of the same plan (the worst order) never removes an intended
    /// replica's copy.
    @Test("drops never reduce a chunk's intended copies", arguments: Seeds.ci(10))
    func dropsAreSafeInAnyOrder(seed: UInt64) {
        var scenario = RepairScenario(seed: seed)
        let before = Dictionary(uniqueKeysWithValues: scenario.holders.keys.map { id in
            (id, Set(scenario.targets(id)).intersection(scenario.liveHolders(id)))
        })
        let plan = RepairPlanner.plan(holders: scenario.holders, live: scenario.live,
                                      replicationFactor: scenario.replicationFactor)
        scenario.apply(plan, transfers: false, seed: seed)
        for (id, intended) in before {
            #expect(intended.isSubset(of: scenario.liveHolders(id)), "REPL_SEED=\(seed)")
        }
    }

    @Test("bounded plans make progress and converge", arguments: Seeds.ci(10))
    func boundedPlansConverge(seed: UInt64) {
        var scenario = RepairScenario(seed: seed)
        var cursor: ChunkID?
        var rounds = 0
        while rounds < 1_000 {
            let plan = RepairPlanner.plan(holders: scenario.holders, live: scenario.live,
                                          replicationFactor: scenario.replicationFactor,
                                          from: cursor, maxTransfers: 2, maxDrops: 3)
            #expect(plan.transfers.count <= 2 && plan.drops.count <= 3, "REPL_SEED=\(seed)")
            scenario.apply(plan, seed: seed)
            rounds += 1
            if plan.next == nil && cursor == nil && plan.isEmpty { break }
            cursor = plan.next
        }
        #expect(rounds < 1_000, "did not converge; REPL_SEED=\(seed)")
        for id in scenario.holders.keys where !scenario.liveHolders(id).isEmpty {
            #expect(scenario.liveHolders(id) == Set(scenario.targets(id)), "REPL_SEED=\(seed)")
        }
    }

    @Test func smallCases() {
        let id = ChunkID(of: [1])
        // Member 3 is down: its copy is neither a source nor dropped; the chunk is copied to the others.
        let ranking = Placement.ranking(for: id, members: [1, 2])
        let plan = RepairPlanner.plan(holders: [id: [3, ranking[1]]], live: [1, 2], replicationFactor: 3)
        #expect(plan.transfers == [RepairPlanner.Transfer(chunk: id, from: ranking[1], to: ranking[0])])
        #expect(plan.drops.isEmpty && plan.lost.isEmpty)
        // Held only by down members: lost, nothing planned.
        let lost = RepairPlanner.plan(holders: [id: [3]], live: [1, 2], replicationFactor: 2)
        #expect(lost.lost == [id] && lost.isEmpty)
        // One chunk needing more transfers than the bound still gets some, and is named to resume at.
        let partial = RepairPlanner.plan(holders: [id: [1]], live: [1, 2, 3, 4], replicationFactor: 4, maxTransfers: 2)
        #expect(partial.transfers.count == 2 && partial.next == id)
    }
}
