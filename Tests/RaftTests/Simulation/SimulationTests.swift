import Foundation
import Testing
@testable import Raft
@testable import Linearizability

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
    func allFaults(seed: UInt64) async {
        let verdict = await SimVerdict.run { Simulator(seed: seed) }
        verdict.expectClean(seed: seed)
    }

    @Test("a 3-node cluster under crashes, torn writes, pauses and partitions loses nothing", arguments: Seeds.ci(24))
    func threeNodes(seed: UInt64) async {
        var options = SimOptions()
        options.voters = 3
        options.spares = 1
        options.faults = [.partitions, .crashes, .tornWrites, .pauses, .loss, .membership]
        let fixed = options
        let verdict = await SimVerdict.run { Simulator(seed: seed &+ 1_000_000, options: fixed) }
        verdict.expectClean(seed: seed)
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

/// What one simulated run found. The run is long and CPU-bound, so it happens on a thread of its own:
/// on the cooperative pool (two threads here) it would starve every other test's timers for minutes.
/// Issues are recorded afterwards, on the test's task.
struct SimVerdict: Sendable {
    var violations: [String]
    var acknowledged: Int
    /// Nil when the history is linearizable; otherwise why not.
    var linearizability: String?

    static func run(_ make: @escaping @Sendable () -> Simulator) async -> SimVerdict {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var sim = make()
                sim.run()
                var verdict = SimVerdict(violations: sim.violations, acknowledged: sim.history.acknowledged.count)
                switch LinearizabilityChecker().check(sim.history.checkerOperations) {
                case .linearizable: break
                case .notLinearizable(let key, let explanation):
                    verdict.linearizability = "history not linearizable on \(key):\n\(explanation)"
                case .unknown(let key):
                    verdict.linearizability = "linearizability of \(key) undecided within the step budget"
                }
                continuation.resume(returning: verdict)
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    init(violations: [String], acknowledged: Int) {
        self.violations = violations
        self.acknowledged = acknowledged
    }

    func expectClean(seed: UInt64) {
        #expect(violations.isEmpty, "replay with SIM_SEED=\(seed): \(violations.joined(separator: "; "))")
        #expect(acknowledged > 50, "seed \(seed): only \(acknowledged) writes acknowledged")
        if let linearizability { Issue.record("replay with SIM_SEED=\(seed): \(linearizability)") }
    }
}
