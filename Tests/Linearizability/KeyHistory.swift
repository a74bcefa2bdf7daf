/// The calls on one key, with their invocations and returns merged into one time-ordered list of events:
/// the form Wing & Gong's search walks.
///
/// A call whose outcome is unknown gets no return event. That encodes "may take effect at any time
/// after its invoke, or never": nothing forces the search to place it before a particular point, and
/// placing it after every completed call is the same as leaving it out, because nothing observes it.
struct KeyHistory: Sendable {
    /// A point in time the search reaches while walking the list.
    enum Event: Hashable, Sendable {
        /// `operations[index]` was invoked.
        case call(Int)
        /// `operations[index]` returned its output.
        case `return`(Int)
    }

    var key: String
    /// The key's calls; events refer to them by position. A prefix keeps all of them, so positions stay
    /// stable, but calls invoked after the prefix ends have no events.
    var operations: [Operation]
    /// What the search runs for each call: its input with every value that no call observes replaced by
    /// one placeholder (see `canonicalInputs`). Explanations print `operations` instead.
    var inputs: [KVInput]
    /// Invocations and returns in time order.
    var events: [Event]

    /// Prepares the calls on `key`.
    ///
    /// Reads with unknown outcome are dropped: they change nothing and observe nothing we can check, and
    /// each one left in would double the states the search may explore.
    init(key: String, operations: [Operation]) {
        let relevant = operations.filter { $0.isCompleted || $0.input.isWrite }
        self.key = key
        self.operations = relevant
        self.inputs = Self.canonicalInputs(relevant)
        self.events = Self.orderedEvents(relevant)
    }

    private init(key: String, operations: [Operation], inputs: [KVInput], events: [Event]) {
        self.key = key
        self.operations = operations
        self.inputs = inputs
        self.events = events
    }

    /// How many calls must be linearized with a matching output.
    var returnCount: Int {
        events.count { if case .return = $0 { true } else { false } }
    }

    /// The history as it stood just after its `returns`-th return.
    ///
    /// Calls invoked by then but returning later are pending in the prefix, so their outcome is unknown.
    /// Linearizability is prefix-closed: if a prefix has no linearization, neither has the whole history.
    /// That makes the first failing prefix a well-defined, minimal explanation of a violation.
    func prefix(returns: Int) -> KeyHistory {
        precondition(returns >= 0 && returns <= returnCount, "prefix(\(returns)) of \(returnCount) returns")
        var kept: [Event] = []
        var seen = 0
        for event in events where seen < returns {
            kept.append(event)
            if case .return = event { seen += 1 }
        }
        return KeyHistory(key: key, operations: operations, inputs: inputs, events: kept)
    }

    /// Replaces every written value that no call can observe with one placeholder.
    ///
    /// A value is observed when a completed get returned it or some cas expects it. All other values
    /// behave alike: no completed get can return them and every cas fails on them. Merging them lets the
    /// search treat, say, thirty timed-out puts of never-read values as thirty copies of one call, and
    /// it shrinks the register states it must remember. Nil stays itself: it is the initial value.
    private static func canonicalInputs(_ operations: [Operation]) -> [KVInput] {
        var observed = Set<String?>()
        for operation in operations {
            if operation.isCompleted, case .value(let value)? = operation.output {
                observed.insert(value)
            }
            if case .cas(let expected, _) = operation.input {
                observed.insert(expected)
            }
        }
        var placeholder = "⊥"
        while observed.contains(placeholder) {
            placeholder += "⊥"
        }
        return operations.map { operation in
            switch operation.input {
            case .put(let value) where !observed.contains(value):
                return .put(placeholder)
            case .cas(let expected, let new) where !observed.contains(new):
                return .cas(expected: expected, new: placeholder)
            default:
                return operation.input
            }
        }
    }

    /// Sorts invocations and returns by time.
    ///
    /// At equal times an invocation sorts before a return, so the two calls count as overlapping. The
    /// simulation's ticks are coarse, and a call that returned and one that started in the same tick
    /// may have happened in either order; calling that a violation would be a false alarm.
    private static func orderedEvents(_ operations: [Operation]) -> [Event] {
        var timed: [(time: UInt64, isReturn: Bool, event: Event)] = []
        for (index, operation) in operations.enumerated() {
            timed.append((operation.invoke, false, .call(index)))
            if operation.isCompleted, let response = operation.response {
                precondition(response >= operation.invoke, "response precedes invoke in \(operation)")
                timed.append((response, true, .return(index)))
            }
        }
        timed.sort { left, right in
            if left.time != right.time { return left.time < right.time }
            if left.isReturn != right.isReturn { return !left.isReturn }
            return left.event.index < right.event.index
        }
        return timed.map(\.event)
    }
}

extension KeyHistory.Event {
    /// The position of the call this event belongs to.
    var index: Int {
        switch self {
        case .call(let index), .return(let index):
            return index
        }
    }
}
