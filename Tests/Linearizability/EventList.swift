extension LinearizationSearch {
    /// The calls that returned, as their invocations and returns in a doubly linked list over arrays, so
    /// that linearizing a call removes both events in O(1) and backtracking puts them back in O(1)
    /// (Knuth's dancing links). Undo MUST happen in the reverse order of removal, which the search's
    /// stack of choices guarantees.
    ///
    /// Calls with unknown outcome stay out of the list: they have no return to bound them, and walking
    /// past the many that are never linearized would cost every scan. The search keeps them by class.
    struct EventList {
        /// Node 0 is the head sentinel and node `end` the tail sentinel; event `i` is node `i + 1`.
        private(set) var end: Int
        private var events: [KeyHistory.Event]
        private var next: [Int]
        private var previous: [Int]
        private var callNode: [Int]
        private var returnNode: [Int?]
        /// Returns still in the list, i.e. returned calls not linearized yet.
        private(set) var returnsRemaining = 0

        init(_ events: [KeyHistory.Event], calls: Int) {
            self.events = events
            end = events.count + 1
            next = Array(1...end) + [end]
            previous = [0] + Array(0..<end)
            callNode = Array(repeating: -1, count: calls)
            returnNode = Array(repeating: nil, count: calls)
            for (position, event) in events.enumerated() {
                switch event {
                case .call(let call):
                    callNode[call] = position + 1
                case .return(let call):
                    returnNode[call] = position + 1
                    returnsRemaining += 1
                }
            }
            for call in 0..<calls where callNode[call] >= 0 && returnNode[call] == nil {
                unlink(callNode[call])
            }
        }

        var first: Int { next[0] }

        func next(after node: Int) -> Int { next[node] }

        func event(at node: Int) -> KeyHistory.Event { events[node - 1] }

        /// Whether the call must be linearized before its return event, with its recorded output.
        func hasReturn(_ call: Int) -> Bool { returnNode[call] != nil }

        /// Whether `call` was invoked before the event at `node`, in the order of the history's events.
        func isInvoked(_ call: Int, before node: Int) -> Bool {
            callNode[call] >= 0 && callNode[call] < node
        }

        /// Removes a linearized call's events. The call MUST have returned.
        mutating func lift(_ call: Int) {
            guard let node = returnNode[call] else { preconditionFailure("lift of unknown call \(call)") }
            unlink(callNode[call])
            unlink(node)
            returnsRemaining -= 1
        }

        /// Puts back the events of the call lifted last and returns the node after its invocation, where
        /// the search resumes.
        mutating func unlift(_ call: Int) -> Int {
            guard let node = returnNode[call] else { preconditionFailure("unlift of unknown call \(call)") }
            relink(node)
            relink(callNode[call])
            returnsRemaining += 1
            return next[callNode[call]]
        }

        private mutating func unlink(_ node: Int) {
            next[previous[node]] = next[node]
            previous[next[node]] = previous[node]
        }

        /// Valid only while `node`'s own links are untouched since it was unlinked, hence the undo order.
        private mutating func relink(_ node: Int) {
            next[previous[node]] = node
            previous[next[node]] = node
        }
    }

    /// A set of calls as a bit per call: cheap to copy, hash, compare and test for inclusion, which is
    /// what the search's cache of explored states does most.
    struct CallSet: Hashable {
        private var words: [UInt64]

        init(count: Int) {
            words = Array(repeating: 0, count: (count + 63) / 64)
        }

        mutating func insert(_ index: Int) {
            words[index / 64] |= 1 << UInt64(index % 64)
        }

        mutating func remove(_ index: Int) {
            words[index / 64] &= ~(1 << UInt64(index % 64))
        }

        func isSubset(of other: CallSet) -> Bool {
            zip(words, other.words).allSatisfy { mine, theirs in mine & ~theirs == 0 }
        }
    }
}
