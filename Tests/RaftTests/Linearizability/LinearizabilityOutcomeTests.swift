import Testing
@testable import Linearizability

/// Calls with unknown outcome, several keys, the step budget and the recorder: the parts of the checker a
/// fault-injecting simulation leans on beyond the plain anomalies.
@Suite("Linearizability with unknown outcomes and many keys")
struct LinearizabilityOutcomeTests {
    static let indeterminateLinearizable: [HistoryCase] = [
        HistoryCase(
            "a timed-out put that took effect",
            .call(0, .put("1"), nil, 0, 10),
            .call(1, .get, .value("1"), 20, 30)
        ),
        HistoryCase(
            "a timed-out put that never took effect",
            .call(0, .put("1"), nil, 0, 10),
            .call(1, .get, .value(nil), 20, 30)
        ),
        HistoryCase(
            "a timed-out put that took effect after its timeout",
            .call(0, .put("1"), nil, 0, 10),
            .call(1, .get, .value(nil), 20, 30),
            .call(1, .get, .value("1"), 40, 50)
        ),
        HistoryCase(
            "a put that never returned takes effect late",
            .call(0, .put("1"), nil, 0, nil),
            .call(1, .get, .value(nil), 20, 30),
            .call(1, .get, .value("1"), 40, 50)
        ),
        HistoryCase(
            "a timed-out cas that took effect",
            .call(0, .put("1"), .ok, 0, 5),
            .call(0, .cas(expected: "1", new: "2"), nil, 10, 20),
            .call(1, .get, .value("2"), 30, 40)
        ),
        HistoryCase(
            "a timed-out delete that took effect",
            .call(0, .put("1"), .ok, 0, 5),
            .call(0, .delete, nil, 10, 20),
            .call(1, .get, .value(nil), 30, 40)
        ),
        HistoryCase(
            "a timed-out read constrains nothing",
            .call(0, .put("1"), .ok, 0, 5),
            .call(1, .get, nil, 10, 20),
            .call(2, .get, .value("1"), 30, 40)
        ),
        HistoryCase(
            "unknown puts land in the order reads observe",
            .call(0, .put("1"), nil, 0, nil),
            .call(1, .put("2"), nil, 0, nil),
            .call(2, .get, .value("2"), 10, 20),
            .call(2, .get, .value("1"), 30, 40),
            .call(3, .get, .value("1"), 50, 60)
        ),
    ]

    static let indeterminateViolations: [HistoryCase] = [
        HistoryCase(
            "the value of a timed-out put appears before its invoke",
            .call(1, .get, .value("1"), 0, 10),
            .call(0, .put("1"), nil, 20, 30)
        ),
        HistoryCase(
            "the value of a put that never returned appears before its invoke",
            .call(1, .get, .value("1"), 0, 10),
            .call(0, .put("1"), nil, 20, nil)
        ),
        HistoryCase(
            "a timed-out put takes effect at most once",
            .call(0, .put("1"), nil, 0, 10),
            .call(1, .get, .value("1"), 20, 30),
            .call(2, .put("2"), .ok, 40, 50),
            .call(1, .get, .value("1"), 60, 70)
        ),
        HistoryCase(
            "a timed-out put cannot undo a later acknowledged one twice",
            .call(0, .put("1"), nil, 0, 10),
            .call(2, .put("2"), .ok, 20, 30),
            .call(1, .get, .value("1"), 40, 50),
            .call(1, .get, .value("2"), 60, 70)
        ),
    ]

    @Test(arguments: indeterminateLinearizable)
    func acceptsUnknownOutcome(_ history: HistoryCase) {
        #expect(LinearizabilityChecker().check(history.operations) == .linearizable)
    }

    @Test(arguments: indeterminateViolations)
    func rejectsUnknownOutcomeViolation(_ history: HistoryCase) {
        let result = LinearizabilityChecker().check(history.operations)
        #expect(result.violatedKey == "x", "got \(result)")
    }

    @Test
    func findsViolationOnOneKeyAmongHealthyKeys() {
        let history = HistoryCase(
            "three keys, one stale read on b",
            .call(0, .put("1"), .ok, 0, 10, key: "a"),
            .call(1, .put("1"), .ok, 0, 10, key: "b"),
            .call(2, .put("1"), .ok, 0, 10, key: "c"),
            .call(0, .get, .value("1"), 20, 30, key: "a"),
            .call(1, .get, .value(nil), 20, 30, key: "b"),
            .call(2, .get, .value("1"), 20, 30, key: "c")
        )
        let result = LinearizabilityChecker().check(history.operations)
        #expect(result.violatedKey == "b", "got \(result)")
    }

    /// Keys are independent: a value written on one key never explains a read on another.
    @Test
    func keysDoNotShareValues() {
        let history = HistoryCase(
            "read on b sees a's value",
            .call(0, .put("1"), .ok, 0, 10, key: "a"),
            .call(1, .get, .value("1"), 20, 30, key: "b")
        )
        #expect(LinearizabilityChecker().check(history.operations).violatedKey == "b")
    }

    @Test
    func exhaustedBudgetIsUnknownNotAPass() {
        let history = concurrentPuts(count: 8, key: "a")
        #expect(LinearizabilityChecker().check(history) == .linearizable)
        #expect(LinearizabilityChecker(stepsMaxPerKey: 3).check(history) == .unknown(key: "a"))
    }

    /// A certain violation on one key beats an undecided search on another.
    @Test
    func violationWinsOverUnknown() {
        // Key a needs one step per put at least; key b's violation takes a handful.
        var history = concurrentPuts(count: 30, key: "a")
        history.append(.call(0, .put("1"), .ok, 100, 110, key: "b"))
        history.append(.call(1, .get, .value(nil), 120, 130, key: "b"))
        for index in history.indices { history[index].id = index }
        let result = LinearizabilityChecker(stepsMaxPerKey: 10).check(history)
        #expect(result.violatedKey == "b", "got \(result)")
    }

    @Test
    func recorderProducesTheHistoryItWasTold() {
        var recorder = HistoryRecorder()
        let put = recorder.invoke(client: 0, key: "k", input: .put("1"), at: 3)
        let get = recorder.invoke(client: 1, key: "k", input: .get, at: 4)
        let timedOut = recorder.invoke(client: 2, key: "k", input: .delete, at: 5)
        let crashed = recorder.invoke(client: 3, key: "k", input: .put("2"), at: 6)
        recorder.complete(id: put, output: .ok, at: 7)
        recorder.complete(id: get, output: .value("1"), at: 8)
        recorder.complete(id: timedOut, output: nil, at: 20)
        #expect([put, get, timedOut, crashed] == [0, 1, 2, 3])
        #expect(recorder.operations == [
            Operation(id: 0, client: 0, key: "k", input: .put("1"), output: .ok, invoke: 3, response: 7),
            Operation(id: 1, client: 1, key: "k", input: .get, output: .value("1"), invoke: 4, response: 8),
            Operation(id: 2, client: 2, key: "k", input: .delete, output: nil, invoke: 5, response: 20),
            Operation(id: 3, client: 3, key: "k", input: .put("2"), output: nil, invoke: 6, response: nil),
        ])
        #expect(!recorder.operations[2].isCompleted)
        #expect(!recorder.operations[3].isCompleted)
        #expect(LinearizabilityChecker().check(recorder.operations) == .linearizable)
    }

    /// `count` puts of distinct values that all overlap, then a read of the first: many orders to try.
    private func concurrentPuts(count: Int, key: String) -> [Operation] {
        var calls = (0..<count).map { Operation.call($0, .put("\($0)"), .ok, 0, 50, key: key) }
        calls.append(.call(count, .get, .value("0"), 60, 70, key: key))
        for index in calls.indices { calls[index].id = index }
        return calls
    }
}

extension LinearizabilityResult {
    /// The key a test expects a violation on, or nil when the result is not a violation.
    var violatedKey: String? {
        if case .notLinearizable(let key, _) = self { return key }
        return nil
    }
}
