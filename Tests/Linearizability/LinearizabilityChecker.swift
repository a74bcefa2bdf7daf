/// The verdict on a history.
enum LinearizabilityResult: Equatable, Sendable {
    /// Some order of the calls, each placed between its invoke and response, explains every output.
    case linearizable
    /// No such order exists for `key`. `explanation` lists the calls of the shortest prefix of that key's
    /// history that already has no linearization, one per line.
    case notLinearizable(key: String, explanation: String)
    /// The search on `key` ran out of steps before deciding, and no other key was found in violation.
    /// Not a pass: raise the budget or shorten the run.
    case unknown(key: String)
}

/// Checks that a key-value store history is linearizable (Herlihy & Wing 1990), for use by the
/// deterministic simulation of a Raft-replicated store.
///
/// Linearizability is local (P-compositional, Horn & Kroening 2015): a history is linearizable iff the
/// sub-history of every key is. So the checker splits by key and searches each key alone, which keeps
/// the exponential part of the search to the calls that actually interfere.
///
/// A call with a recorded output and response must take effect between its invoke and response and
/// produce that output. Any other call (timed out, or never returned) may take effect at any point after
/// its invoke, even after its timeout, or never.
struct LinearizabilityChecker: Sendable {
    /// Steps the search may take on one key before giving up with `.unknown`. Bounded so that a
    /// pathological history ends a test run instead of hanging it.
    var stepsMaxPerKey: Int
    /// Calls listed in an explanation; the earliest are elided beyond it so that a failing simulation
    /// prints something a person can read.
    var explanationOperationsMax: Int

    init(stepsMaxPerKey: Int = 10_000_000, explanationOperationsMax: Int = 60) {
        precondition(stepsMaxPerKey > 0, "stepsMaxPerKey must be positive, got \(stepsMaxPerKey)")
        precondition(explanationOperationsMax > 0, "explanationOperationsMax must be positive")
        self.stepsMaxPerKey = stepsMaxPerKey
        self.explanationOperationsMax = explanationOperationsMax
    }

    /// Checks every key of `history` (calls in any order, ids unique).
    ///
    /// Keys are checked in sorted order so that the verdict is reproducible. A violation on any key wins
    /// over an undecided one, because a found violation is certain.
    func check(_ history: [Operation]) -> LinearizabilityResult {
        precondition(Set(history.map(\.id)).count == history.count, "history has duplicate operation ids")
        let byKey = Dictionary(grouping: history, by: \.key)
        var undecided: String?
        for key in byKey.keys.sorted() {
            switch check(key: key, operations: byKey[key] ?? []) {
            case .linearizable:
                continue
            case .notLinearizable(let key, let explanation):
                return .notLinearizable(key: key, explanation: explanation)
            case .unknown(let key):
                undecided = undecided ?? key
            }
        }
        return undecided.map { .unknown(key: $0) } ?? .linearizable
    }

    /// Checks the calls on one key. Every call in `operations` MUST be on `key`.
    func check(key: String, operations: [Operation]) -> LinearizabilityResult {
        precondition(operations.allSatisfy { $0.key == key }, "check(key: \(key)) given calls on other keys")
        let history = KeyHistory(key: key, operations: operations.sorted { $0.id < $1.id })
        switch LinearizationSearch.run(history, stepsMax: stepsMaxPerKey) {
        case .linearizable:
            return .linearizable
        case .budgetExhausted:
            return .unknown(key: key)
        case .notLinearizable:
            return .notLinearizable(key: key, explanation: explain(history))
        }
    }

    /// Describes the shortest failing prefix of a history known to have no linearization.
    ///
    /// Prefixes are cut just after a return (a cut after an invoke only adds a pending call, which never
    /// breaks a linearization), and failure is monotone in the cut, so a binary search finds the first
    /// failing one in O(log n) searches, each with its own step budget. A prefix whose search runs out of
    /// steps counts as passing, so the reported prefix is always one proven to fail.
    private func explain(_ history: KeyHistory) -> String {
        var passing = 0
        var failing = history.returnCount
        while failing - passing > 1 {
            let middle = passing + (failing - passing) / 2
            let outcome = LinearizationSearch.run(history.prefix(returns: middle), stepsMax: stepsMaxPerKey)
            if outcome == .notLinearizable {
                failing = middle
            } else {
                passing = middle
            }
        }
        return describe(history.prefix(returns: failing))
    }

    /// Lists the calls of a failing prefix in invocation order, marking the return that completes the
    /// prefix and the calls still pending at that point.
    private func describe(_ prefix: KeyHistory) -> String {
        guard let last = prefix.events.last else {
            preconditionFailure("an empty prefix is always linearizable")
        }
        let lastReturn = prefix.operations[last.index]
        let pending = Set(prefix.events.map(\.index)).subtracting(
            prefix.events.compactMap { if case .return(let index) = $0 { index } else { nil } }
        )
        var lines = prefix.events.compactMap { event -> String? in
            guard case .call(let index) = event else { return nil }
            let operation = prefix.operations[index]
            if index == last.index { return "  \(operation)   ← its return makes the prefix fail" }
            if pending.contains(index) && operation.isCompleted { return "  \(operation)   (returns later)" }
            return "  \(operation)"
        }
        let omitted = lines.count - explanationOperationsMax
        if omitted > 0 {
            lines = ["  … \(omitted) earlier calls omitted"] + lines.suffix(explanationOperationsMax)
        }
        let header = "key \"\(prefix.key)\": no linearization of the calls invoked up to the return of "
            + "#\(lastReturn.id) at \(lastReturn.response ?? 0):"
        return ([header] + lines).joined(separator: "\n")
    }
}
