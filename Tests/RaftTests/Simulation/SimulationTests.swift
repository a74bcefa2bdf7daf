import Foundation
import Testing
@testable import Raft

/// Seeds CI runs. `SIM_SEED=n swift test --filter Simulation` replays one seed exactly;
/// `SIM_SEEDS=a-b` runs a range (the long sweep of `scripts/sim-sweep.sh`).
enum Seeds {
    static func ci(_ count: UInt64) -> [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["SIM_SEED"], let seed = UInt64(value) { return [seed] }
        if let range = environment["SIM_SEEDS"]?.split(separator: "-"), range.count == 2,
           let low = UInt64(range[0]), let high = UInt64(range[1]), low <= high {
            return Array(low...high)
        }
        return Array(1...count)
    }
}

@Suite("Simulation")
struct SimulationTests {
    @Test("no safety violation and nothing acknowledged lost under every fault", arguments: Seeds.ci(40))
    func allFaults(seed: UInt64) {
        var sim = Simulator(seed: seed)
        sim.run()
        #expect(sim.violations.isEmpty, "replay with SIM_SEED=\(seed): \(sim.violations.joined(separator: "; "))")
        #expect(sim.history.acknowledged.count > 50, "seed \(seed): only \(sim.history.acknowledged.count) writes acknowledged")
        expectLinearizable(sim, seed: seed)
    }

    @Test("a 3-node cluster under crashes, torn writes, pauses and partitions loses nothing", arguments: Seeds.ci(24))
    func threeNodes(seed: UInt64) {
        var options = SimOptions()
        options.voters = 3
        options.spares = 1
        options.faults = [.partitions, .crashes, .tornWrites, .pauses, .loss, .membership]
        var sim = Simulator(seed: seed &+ 1_000_000, options: options)
        sim.run()
        #expect(sim.violations.isEmpty, "replay with SIM_SEED=\(seed): \(sim.violations.joined(separator: "; "))")
        #expect(sim.history.acknowledged.count > 50, "seed \(seed): only \(sim.history.acknowledged.count) writes acknowledged")
        expectLinearizable(sim, seed: seed)
    }

    @Test("the checker catches stale reads when reads skip ReadIndex", arguments: [UInt64(1), 2, 3])
    func staleReadsAreCaught(seed: UInt64) {
        var options = SimOptions()
        options.unsafeLocalReads = true
        options.faults = [.partitions, .pauses]
        options.durationMs = 15_000
        var sim = Simulator(seed: seed, options: options)
        sim.run()
        let result = LinearizabilityChecker().check(sim.history.checkerOperations)
        guard case .notLinearizable = result else {
            Issue.record("seed \(seed): local reads during partitions went unnoticed: \(result)")
            return
        }
    }

    func expectLinearizable(_ sim: Simulator, seed: UInt64) {
        let operations = sim.history.checkerOperations
        switch LinearizabilityChecker().check(operations) {
        case .linearizable:
            break
        case .notLinearizable(let key, let explanation):
            Issue.record("replay with SIM_SEED=\(seed): history not linearizable on \(key):\n\(explanation)")
        case .unknown(let key):
            Issue.record("replay with SIM_SEED=\(seed): linearizability of \(key) undecided within the step budget")
        }
    }

    @Test("the same seed gives a byte-identical run")
    func deterministic() {
        var options = SimOptions()
        options.durationMs = 5_000
        var first = Simulator(seed: 99, options: options)
        first.run()
        var second = Simulator(seed: 99, options: options)
        second.run()
        #expect(first.trace.digest == second.trace.digest)
        #expect(first.stepsRun == second.stepsRun)
    }
}
