import Testing
@testable import Linearizability

/// Property tests: histories that are linearizable by construction must pass, the same histories with
/// one read corrupted must fail at exactly that read, and a simulation-sized history checks quickly.
@Suite("Linearizability properties")
struct LinearizabilityPropertyTests {
    static let shapes: [RandomKVHistory.Shape] = [
        .init(operations: 150, keys: 1, clients: 5, windowTicksMax: 20, unknownPercent: 0),
        .init(operations: 200, keys: 4, clients: 5, windowTicksMax: 30, unknownPercent: 10),
        .init(operations: 120, keys: 2, clients: 3, windowTicksMax: 5, unknownPercent: 25),
    ]
    static let seeds: [UInt64] = Array(0..<30)

    @Test(arguments: shapes, seeds)
    func generatedHistoryIsLinearizable(shape: RandomKVHistory.Shape, seed: UInt64) {
        let history = RandomKVHistory.generate(seed: seed, shape: shape)
        let result = LinearizabilityChecker().check(history)
        #expect(result == .linearizable, "replay with seed \(seed), \(shape)")
    }

    /// The first prefix that fails is the one ending at the corrupted read's return: before it the read is
    /// pending and the history is the generated, linearizable one.
    @Test(arguments: shapes, seeds)
    func corruptedReadIsCaught(shape: RandomKVHistory.Shape, seed: UInt64) throws {
        let history = RandomKVHistory.generate(seed: seed, shape: shape)
        let (corrupted, victim) = try #require(RandomKVHistory.corruptingOneRead(of: history, seed: seed))
        let result = LinearizabilityChecker().check(corrupted)
        guard case .notLinearizable(let key, let explanation) = result else {
            Issue.record("expected a violation on \(victim), got \(result); seed \(seed), \(shape)")
            return
        }
        #expect(key == victim.key)
        #expect(explanation.contains("up to the return of #\(victim.id) "), "\(explanation)")
    }

    /// A simulation-sized history: ~2,000 calls over 20 keys from 5 clients. Prints the time rather
    /// than asserting on it, because CI machines vary.
    @Test
    func simulationSizedHistoryChecksQuickly() throws {
        let shape = RandomKVHistory.Shape(
            operations: 2_000, keys: 20, clients: 5, windowTicksMax: 25, unknownPercent: 5
        )
        let history = RandomKVHistory.generate(seed: 42, shape: shape)
        let clock = ContinuousClock()
        var result = LinearizabilityResult.unknown(key: "")
        let passing = clock.measure { result = LinearizabilityChecker().check(history) }
        #expect(result == .linearizable)

        let (corrupted, victim) = try #require(RandomKVHistory.corruptingOneRead(of: history, seed: 42))
        let failing = clock.measure { result = LinearizabilityChecker().check(corrupted) }
        #expect(result.violatedKey == victim.key)
        print("linearizability: \(shape): linearizable in \(passing), violation with explanation in \(failing)")
    }
}
