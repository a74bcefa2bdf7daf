/// A client request to the key-value store, as the client issued it.
///
/// The key is not part of the input because the checker partitions a history by key before searching
/// (linearizability is local, Herlihy & Wing 1990), so each per-key search only sees inputs.
enum KVInput: Hashable, Sendable {
    /// Reads the current value; answered with `KVOutput.value`.
    case get
    /// Overwrites the value; answered with `KVOutput.ok`.
    case put(String)
    /// Writes `new` only if the current value equals `expected` (`nil` means "absent");
    /// answered with `KVOutput.casResult`.
    case cas(expected: String?, new: String)
    /// Removes the value, so a later get returns `nil`; answered with `KVOutput.ok`.
    case delete

    /// Whether `output` is the kind of answer this request can get. The recorder checks it so that a
    /// simulation bug (say, a get answered with `.ok`) fails loudly instead of reading as a Raft violation.
    func accepts(_ output: KVOutput) -> Bool {
        switch (self, output) {
        case (.get, .value), (.put, .ok), (.delete, .ok), (.cas, .casResult):
            return true
        default:
            return false
        }
    }

    /// Whether the request can change the value. Reads whose outcome is unknown constrain nothing, so
    /// the checker drops them before searching.
    var isWrite: Bool {
        if case .get = self { return false }
        return true
    }

    /// Whether the request sets the value regardless of what was there, erasing earlier writes. The
    /// checker uses it to skip orders in which a timed-out write is erased before anyone sees it.
    var overwrites: Bool {
        switch self {
        case .put, .delete:
            return true
        case .get, .cas:
            return false
        }
    }
}

extension KVInput: CustomStringConvertible {
    var description: String {
        switch self {
        case .get:
            return "get"
        case .put(let value):
            return "put(\(quoted(value)))"
        case .cas(let expected, let new):
            return "cas(\(quoted(expected)) → \(quoted(new)))"
        case .delete:
            return "delete"
        }
    }
}

/// What the store answered to a `KVInput`.
enum KVOutput: Hashable, Sendable {
    /// The value a get observed; `nil` when the key was absent.
    case value(String?)
    /// A put or delete was applied.
    case ok
    /// Whether a cas found the expected value and wrote the new one.
    case casResult(Bool)
}

extension KVOutput: CustomStringConvertible {
    var description: String {
        switch self {
        case .value(let value):
            return quoted(value)
        case .ok:
            return "ok"
        case .casResult(let succeeded):
            return succeeded ? "cas ok" : "cas failed"
        }
    }
}

/// One client call in a recorded history: when it was invoked, when (and whether) it returned, and what
/// it returned.
///
/// Times are the simulation's logical ticks. The checker compares only their order, so any monotonic
/// clock works.
struct Operation: Hashable, Sendable {
    /// Unique within a history; the recorder assigns ids in invocation order.
    var id: Int
    /// The client that issued the call. Only used in explanations: the checker does not assume a client
    /// has one call outstanding at a time.
    var client: Int
    var key: String
    var input: KVInput
    /// `nil` when the outcome is unknown (a timeout, a crashed client): the call may or may not have
    /// taken effect, and if it did, possibly after `response`.
    var output: KVOutput?
    var invoke: UInt64
    /// `nil` when the call never returned; it may take effect at any time after `invoke`, or never.
    var response: UInt64?

    /// Whether the checker must place this call between `invoke` and `response` with a matching output.
    /// Any other call may be linearized anywhere after its invoke, or left out.
    var isCompleted: Bool {
        output != nil && response != nil
    }
}

extension Operation: CustomStringConvertible {
    /// One line a person can read next to others: `#7 c2 x: get → "1" [20, 25]`.
    var description: String {
        let outcome = output.map { $0.description } ?? "?"
        let end = response.map { "\($0)]" } ?? "…)"
        return "#\(id) c\(client) \(key): \(input) → \(outcome) [\(invoke), \(end)"
    }
}

/// Renders an optional value so that `nil` and the string `"nil"` cannot be confused in an explanation.
private func quoted(_ value: String?) -> String {
    value.map { "\"\($0)\"" } ?? "nil"
}
