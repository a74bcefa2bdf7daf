import Replication
import Testing
@testable import Jobs
@testable import Linearizability

@Suite struct SchedulerTests {
    /// `count` datums of random sizes, each chunk of each on `replicas` of `nodes` nodes (chosen at
    /// random per datum, as rendezvous placement spreads them).
    static func datums(_ count: Int, nodes: [MemberID], replicas: Int, seed: UInt64,
                       sizes: ClosedRange<UInt64> = 1_000...10_000_000) -> [Scheduler.DatumBytes] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let size = sizes.lowerBound + random.next() % (sizes.upperBound - sizes.lowerBound + 1)
            var holders = nodes
            holders.shuffle(using: &random)
            return Scheduler.DatumBytes(total: size, local: Dictionary(uniqueKeysWithValues: holders.prefix(replicas).map { ($0, size) }))
        }
    }

    static let three: [Scheduler.Worker] = [1, 2, 3].map { Scheduler.Worker(node: $0, slots: 2) }

    static func checkPartition(_ plan: Scheduler.Plan, count: Int) {
        let assigned = plan.batches.flatMap(\.datums).sorted()
        #expect(assigned == Array(0..<count), "every datum in exactly one batch")
        for batch in plan.batches {
            #expect(batch.datums.allSatisfy { plan.nodeOf[$0] == batch.node })
        }
    }

    @Test(arguments: [1, 2] as [Int], [11, 12, 13] as [UInt64])
    func mostBytesAreReadLocallyWhenReplicasAreFewerThanNodes(replicas: Int, seed: UInt64) throws {
        let datums = Self.datums(2_000, nodes: [1, 2, 3], replicas: replicas, seed: seed)
        let plan = try Scheduler.plan(datums, workers: Self.three)
        Self.checkPartition(plan, count: datums.count)
        #expect(plan.locality >= 0.9, "R=\(replicas) seed \(seed): locality \(plan.locality)")
        // Balanced: no node takes more than its share plus the slack (plus one datum of rounding).
        let options = Scheduler.Options()
        let costs = datums.map { Double($0.total + options.overheadBytes) }
        let share = costs.reduce(0, +) / 3 * (1 + options.slack)
        for node in [1, 2, 3] as [MemberID] {
            let load = datums.indices.filter { plan.nodeOf[$0] == node }.map { costs[$0] }.reduce(0, +)
            #expect(load <= share + costs.max()!, "node \(node) load \(load) over its share \(share)")
        }
    }

    @Test func skewedDataIsSpreadAndTheRestReadRemotely() throws {
        // Every byte on node 1: it takes its share, the others read remotely.
        let datums = (0..<300).map { _ in Scheduler.DatumBytes(total: 1_000_000, local: [1: 1_000_000]) }
        let plan = try Scheduler.plan(datums, workers: Self.three)
        Self.checkPartition(plan, count: datums.count)
        let perNode = Dictionary(grouping: plan.nodeOf, by: { $0 }).mapValues(\.count)
        #expect(perNode.values.allSatisfy { $0 >= 80 }, "\(perNode)")
        #expect(perNode[1]! <= 116, "node 1 takes about its share plus slack: \(perNode)")
        #expect(abs(plan.locality - Double(perNode[1]!) / 300) < 1e-9)
    }

    @Test func slotsWeighTheSharesAndIdleNodesTakeNothing() throws {
        let datums = Self.datums(600, nodes: [1, 2, 3], replicas: 3, seed: 5)
        let workers = [Scheduler.Worker(node: 1, slots: 3), Scheduler.Worker(node: 2, slots: 1), Scheduler.Worker(node: 3, slots: 0)]
        let plan = try Scheduler.plan(datums, workers: workers)
        Self.checkPartition(plan, count: datums.count)
        #expect(!plan.nodeOf.contains(3), "a node without slots runs nothing")
        let bytes1 = datums.indices.filter { plan.nodeOf[$0] == 1 }.map { datums[$0].total }.reduce(0, +)
        let bytes2 = datums.indices.filter { plan.nodeOf[$0] == 2 }.map { datums[$0].total }.reduce(0, +)
        #expect(Double(bytes1) > 2 * Double(bytes2), "three slots take about three times the work of one")
        #expect(plan.locality == 1, "everything is everywhere")
        #expect(throws: SchedulerError.noWorkers(datums: 600)) {
            try Scheduler.plan(datums, workers: [Scheduler.Worker(node: 1, slots: 0)])
        }
        #expect(try Scheduler.plan([], workers: Self.three).batches.isEmpty)
    }

    @Test func smallDatumsShareAContainerStartAndLargeOnesRunAlone() throws {
        var datums = (0..<1_000).map { _ in Scheduler.DatumBytes(total: 1_024, local: [1: 1_024]) }
        datums.append(Scheduler.DatumBytes(total: 200 << 20, local: [1: 200 << 20]))
        let plan = try Scheduler.plan(datums, workers: [Scheduler.Worker(node: 1, slots: 4)])
        Self.checkPartition(plan, count: datums.count)
        let options = Scheduler.Options()
        #expect(plan.batches.allSatisfy { $0.datums.count <= options.batchDatums })
        #expect(plan.batches.count <= 1_000 / options.batchDatums + 2)
        #expect(plan.batches.contains { $0.datums == [1_000] }, "the 200 MiB datum runs alone")
    }

    @Test func everySlotGetsABatchWhenThereAreDatumsForIt() throws {
        let datums = (0..<300).map { _ in Scheduler.DatumBytes(total: 1_024, local: [1: 1_024]) }
        let plan = try Scheduler.plan(datums, workers: [Scheduler.Worker(node: 1, slots: 2)])
        Self.checkPartition(plan, count: datums.count)
        #expect(plan.batches.map(\.datums.count) == [150, 150])
        let few = try Scheduler.plan(Array(datums.prefix(3)), workers: [Scheduler.Worker(node: 1, slots: 8)])
        #expect(few.batches.map(\.datums.count) == [1, 1, 1])
    }

    @Test func samePlanEveryTime() throws {
        let datums = Self.datums(500, nodes: [1, 2, 3, 4], replicas: 2, seed: 99)
        let workers = [1, 2, 3, 4].map { Scheduler.Worker(node: $0, slots: 2) }
        #expect(try Scheduler.plan(datums, workers: workers) == Scheduler.plan(datums, workers: workers.reversed()))
    }
}
