import Testing
@testable import Linearizability

/// Hand-written histories with a known verdict: the sequential specification, overlapping calls that have
/// a valid order, and the classic anomalies a broken Raft read or write path produces.
@Suite("Linearizability checker")
struct LinearizabilityCheckerTests {
    static let linearizable: [HistoryCase] = [
        HistoryCase("empty history"),
        HistoryCase("get on a fresh key returns nil", .call(0, .get, .value(nil), 0, 1)),
        HistoryCase(
            "sequential put, get, cas, delete",
            .call(0, .put("1"), .ok, 0, 1),
            .call(0, .get, .value("1"), 2, 3),
            .call(1, .cas(expected: "1", new: "2"), .casResult(true), 4, 5),
            .call(1, .cas(expected: "1", new: "3"), .casResult(false), 6, 7),
            .call(0, .get, .value("2"), 8, 9),
            .call(0, .delete, .ok, 10, 11),
            .call(1, .get, .value(nil), 12, 13),
            .call(1, .cas(expected: nil, new: "4"), .casResult(true), 14, 15),
            .call(0, .get, .value("4"), 16, 17)
        ),
        HistoryCase(
            "read during a write may see the old or the new value",
            .call(0, .put("1"), .ok, 0, 10),
            .call(1, .get, .value(nil), 2, 4),
            .call(2, .get, .value("1"), 3, 5),
            .call(1, .get, .value("1"), 11, 12)
        ),
        HistoryCase(
            "overlapping writes may land in either order",
            .call(0, .put("1"), .ok, 0, 10),
            .call(1, .put("2"), .ok, 0, 10),
            .call(2, .get, .value("1"), 11, 12),
            .call(2, .get, .value("1"), 13, 14)
        ),
        HistoryCase(
            "reads of two concurrent writes agree on one order",
            .call(0, .put("1"), .ok, 0, 20),
            .call(1, .put("2"), .ok, 0, 20),
            .call(2, .get, .value("2"), 5, 8),
            .call(3, .get, .value("1"), 9, 12),
            .call(2, .get, .value("1"), 21, 22)
        ),
        HistoryCase(
            "of two concurrent cas from nil exactly one wins",
            .call(0, .cas(expected: nil, new: "a"), .casResult(false), 0, 10),
            .call(1, .cas(expected: nil, new: "b"), .casResult(true), 1, 9),
            .call(2, .get, .value("b"), 11, 12)
        ),
        HistoryCase(
            "a response and an invoke in the same tick count as overlapping",
            .call(0, .put("1"), .ok, 0, 10),
            .call(1, .get, .value(nil), 10, 12)
        ),
    ]

    static let violations: [HistoryCase] = [
        HistoryCase(
            "(a) a read that starts after a completed write returns the old value",
            .call(0, .put("0"), .ok, 0, 5),
            .call(0, .put("1"), .ok, 10, 20),
            .call(1, .get, .value("0"), 30, 40)
        ),
        HistoryCase(
            "(b) non-overlapping reads see 1 then 0 around one concurrent write of 1",
            .call(0, .put("0"), .ok, 0, 5),
            .call(1, .put("1"), .ok, 10, 100),
            .call(2, .get, .value("1"), 20, 30),
            .call(3, .get, .value("0"), 40, 50)
        ),
        HistoryCase(
            "(c) a cas succeeds against a value never written",
            .call(0, .put("1"), .ok, 0, 10),
            .call(1, .cas(expected: "7", new: "8"), .casResult(true), 20, 30)
        ),
        HistoryCase(
            "(d) an acknowledged write is lost",
            .call(0, .put("x"), .ok, 0, 10),
            .call(1, .get, .value(nil), 20, 30),
            .call(2, .get, .value(nil), 40, 50),
            .call(1, .get, .value(nil), 60, 70)
        ),
        HistoryCase(
            "a cas fails although the expected value is there",
            .call(0, .put("1"), .ok, 0, 10),
            .call(1, .cas(expected: "1", new: "2"), .casResult(false), 20, 30)
        ),
        HistoryCase(
            "a read sees a value deleted before it started",
            .call(0, .put("1"), .ok, 0, 10),
            .call(0, .delete, .ok, 20, 30),
            .call(1, .get, .value("1"), 40, 50)
        ),
        HistoryCase(
            "two cas from nil both succeed",
            .call(0, .cas(expected: nil, new: "a"), .casResult(true), 0, 10),
            .call(1, .cas(expected: nil, new: "b"), .casResult(true), 1, 9)
        ),
        HistoryCase(
            "a read sees a write invoked after it returned",
            .call(0, .get, .value("1"), 0, 10),
            .call(1, .put("1"), .ok, 20, 30)
        ),
    ]

    @Test(arguments: linearizable)
    func acceptsLinearizableHistory(_ history: HistoryCase) {
        #expect(LinearizabilityChecker().check(history.operations) == .linearizable)
    }

    @Test(arguments: violations)
    func rejectsViolation(_ history: HistoryCase) {
        let result = LinearizabilityChecker().check(history.operations)
        guard case .notLinearizable(let key, let explanation) = result else {
            Issue.record("expected a violation, got \(result)")
            return
        }
        #expect(key == "x")
        #expect(explanation.contains("key \"x\""))
    }

    /// The explanation stops at the first return no order can explain, so calls after it are not listed
    /// and a person reads only what matters.
    @Test
    func explanationListsShortestFailingPrefix() {
        let history = HistoryCase(
            "stale read followed by more traffic",
            .call(0, .put("1"), .ok, 0, 10),
            .call(1, .get, .value("1"), 12, 15),
            .call(2, .put("2"), .ok, 14, 40),
            .call(1, .get, .value(nil), 20, 30),
            .call(0, .put("3"), .ok, 50, 60),
            .call(2, .get, .value("3"), 70, 80)
        )
        let result = LinearizabilityChecker().check(history.operations)
        guard case .notLinearizable(_, let explanation) = result else {
            Issue.record("expected a violation, got \(result)")
            return
        }
        print(explanation)
        #expect(explanation.contains("up to the return of #3 at 30"))
        #expect(explanation.contains("#0 c0 x: put(\"1\") → ok [0, 10]"))
        #expect(explanation.contains("#3 c1 x: get → nil [20, 30]   ← its return makes the prefix fail"))
        #expect(explanation.contains("#2 c2 x: put(\"2\") → ok [14, 40]   (returns later)"))
        #expect(!explanation.contains("#4"))
        #expect(!explanation.contains("#5"))
    }

    @Test
    func longExplanationsElideTheEarliestCalls() {
        var calls: [Operation] = (0..<10).map { index in
            let start = UInt64(10 * index)
            return Operation.call(0, .put("\(index)"), .ok, start, start + 5)
        }
        calls.append(Operation.call(1, .get, .value("0"), 200, 210))
        let history = calls.enumerated().map { index, call in
            var numbered = call
            numbered.id = index
            return numbered
        }
        let result = LinearizabilityChecker(explanationOperationsMax: 3).check(history)
        guard case .notLinearizable(_, let explanation) = result else {
            Issue.record("expected a violation, got \(result)")
            return
        }
        #expect(explanation.contains("… 8 earlier calls omitted"))
        #expect(explanation.split(separator: "\n").count == 5)
    }
}
