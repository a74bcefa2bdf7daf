/// Pending ReadIndex rounds on a leader (Raft dissertation §6.4): each request remembers the commit index
/// at the time it arrived and who asked; it is released once a quorum has answered a heartbeat that
/// carried its context, which proves no newer leader had been elected by then.
struct ReadIndexQueue: Sendable, Equatable {
    struct Request: Sendable, Equatable {
        var index: UInt64
        var from: NodeID
        var context: [UInt8]
        var acks: Set<NodeID>
    }

    private(set) var requests: [Request] = []

    var isEmpty: Bool { requests.isEmpty }
    var lastContext: [UInt8]? { requests.last?.context }

    /// Adds a request; a context already queued is ignored (it is answered with the first one).
    mutating func add(index: UInt64, from: NodeID, context: [UInt8], selfID: NodeID) {
        guard !requests.contains(where: { $0.context == context }) else { return }
        requests.append(Request(index: index, from: from, context: context, acks: [selfID]))
    }

    /// Records a heartbeat answer for `context`. Returns the requests it releases, oldest first: the one
    /// acknowledged and every earlier one (they were asked before, so the same round proves them).
    mutating func acknowledge(context: [UInt8], from node: NodeID, isQuorum: (Set<NodeID>) -> Bool) -> [Request] {
        guard let position = requests.firstIndex(where: { $0.context == context }) else { return [] }
        requests[position].acks.insert(node)
        guard isQuorum(requests[position].acks) else { return [] }
        let released = Array(requests[...position])
        requests.removeFirst(position + 1)
        return released
    }

    mutating func removeAll() -> [Request] {
        defer { requests = [] }
        return requests
    }
}
