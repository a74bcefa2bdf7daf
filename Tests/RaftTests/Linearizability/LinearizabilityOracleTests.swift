import Testing
@testable import Linearizability

/// Compares the checker with a brute-force oracle on small random histories, half of which are not
/// linearizable. The oracle follows the definition directly, over the whole history at once (no split by
/// key, no memoization, no event list), so it also vouches for the per-key split.
@Suite("Linearizability checker against a brute-force oracle")
struct LinearizabilityOracleTests {
    /// Small histories (up to 7 calls, two keys) where a brute-force search is instant.
    @Test
    func agreesWithBruteForceOnSmallRandomHistories() {
        compareWithOracle(seeds: 0..<2_000, callsMax: 7, keys: ["a", "b"], valuesMinimum: 400)
    }

    /// Longer single-key histories, where unknown calls pile up and the checker's pruning matters most.
    @Test
    func agreesWithBruteForceOnLongerSingleKeyHistories() {
        compareWithOracle(seeds: 10_000..<10_400, callsMax: 14, keys: ["a"], valuesMinimum: 50)
    }

    private func compareWithOracle(seeds: Range<UInt64>, callsMax: Int, keys: [String], valuesMinimum: Int) {
        var verdicts = (linearizable: 0, violations: 0)
        for seed in seeds {
            let history = Self.randomHistory(seed: seed, callsMax: callsMax, keys: keys)
            let expected = Self.bruteForceIsLinearizable(history)
            let result = LinearizabilityChecker().check(history)
            #expect((result == .linearizable) == expected, "seed \(seed): \(result) for \(history)")
            if case .notLinearizable = result {
                verdicts.violations += 1
            } else {
                verdicts.linearizable += 1
            }
        }
        // Both verdicts must be common, or the comparison proves little.
        #expect(verdicts.linearizable > valuesMinimum && verdicts.violations > valuesMinimum, "\(verdicts)")
    }

    /// Up to `callsMax` calls with random outputs from a tiny value set, so that outputs often match and
    /// often do not, and windows that overlap often. A third of the calls have unknown outcome.
    private static func randomHistory(seed: UInt64, callsMax: Int, keys: [String]) -> [Operation] {
        var random = SeededRandom(seed: seed)
        func pick<T>(_ choices: [T]) -> T { choices[Int(random.next() % UInt64(choices.count))] }
        let values: [String?] = [nil, "1", "2"]
        let count = 2 + Int(random.next() % UInt64(callsMax - 1))
        let span = UInt64(3 * count)
        return (0..<count).map { id in
            let invoke = random.next() % span
            let (input, output): (KVInput, KVOutput) = switch random.next() % 4 {
            case 0: (.get, .value(pick(values)))
            case 1: (.put(pick(["1", "2"])), .ok)
            case 2: (.cas(expected: pick(values), new: pick(["1", "2"])), .casResult(pick([true, false])))
            default: (.delete, .ok)
            }
            let unknown = random.next() % 3 == 0
            let response: UInt64? = unknown && random.next() % 2 == 0 ? nil : invoke + random.next() % 10
            return Operation(
                id: id, client: id, key: pick(keys), input: input,
                output: unknown ? nil : output, invoke: invoke, response: response
            )
        }
    }

    /// A state of the brute-force search: calls still to place (a bit each) and every key's register.
    private struct OracleState: Hashable {
        var remaining: Int
        var registers: [String: KVRegister]
    }

    /// Whether some order of a subset of calls, holding every completed call, respects real time and
    /// reproduces every completed call's output. Exponential, with only exact memoization of failed
    /// states; for a handful of calls.
    private static func bruteForceIsLinearizable(_ history: [Operation]) -> Bool {
        var failed = Set<OracleState>()
        func extend(_ state: OracleState) -> Bool {
            let remaining = history.filter { state.remaining & (1 << $0.id) != 0 }
            guard remaining.contains(where: \.isCompleted) else { return true }
            guard !failed.contains(state) else { return false }
            for candidate in remaining {
                // A call may go next only if no completed call still to place returned before it started.
                let mustWait = remaining.contains { other in
                    other.isCompleted && (other.response ?? .max) < candidate.invoke
                }
                let register = state.registers[candidate.key, default: KVRegister()]
                let (next, output) = register.applying(candidate.input)
                if mustWait || (candidate.isCompleted && candidate.output != output) { continue }
                var after = state
                after.remaining &= ~(1 << candidate.id)
                after.registers[candidate.key] = next
                if extend(after) { return true }
            }
            failed.insert(state)
            return false
        }
        return extend(OracleState(remaining: (1 << history.count) - 1, registers: [:]))
    }
}
