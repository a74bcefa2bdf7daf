import Synchronization

/// Connects several `RaftNode`s in one process, for tests and benchmarks, with the faults a real network
/// has: links can be cut (one way or both), nodes isolated, the group partitioned, and messages delayed.
///
/// Each node gets its own `InMemoryTransport` from `transport(for:)`. A message crosses a link if the link
/// is up both when it is sent and when it arrives (a cut drops messages in flight too). Messages are not
/// copied or encoded: Raft's `Message` is a value.
public final class InMemoryNetwork: Sendable {
    struct Link: Hashable, Sendable {
        var from: NodeID
        var to: NodeID
    }

    struct Endpoint: Sendable {
        /// Tells a restarted node's endpoint from the one it replaced.
        var incarnation: UInt64
        var deliver: @Sendable (TransportEvent) -> Void
    }

    struct State: Sendable {
        var endpoints: [NodeID: Endpoint] = [:]
        var nextIncarnation: UInt64 = 1
        var cutLinks: Set<Link> = []
        var isolated: Set<NodeID> = []
        var delays: [Link: Duration] = [:]
        var defaultDelay: Duration = .zero
        var delivered = 0
        var dropped = 0

        func isUp(_ link: Link) -> Bool {
            !cutLinks.contains(link) && !isolated.contains(link.from) && !isolated.contains(link.to)
        }

        func delay(_ link: Link) -> Duration {
            delays[link] ?? defaultDelay
        }
    }

    let state = Mutex(State())

    /// A network with every link up and no delay.
    public init() {}

    /// A transport that sends as `node` and receives what is addressed to it.
    public func transport(for node: NodeID) -> InMemoryTransport {
        InMemoryTransport(node: node, network: self)
    }

    // MARK: Faults

    /// Cuts every link to and from `node`.
    public func isolate(_ node: NodeID) {
        _ = state.withLock { $0.isolated.insert(node) }
    }

    /// Restores every link to and from `node` (undoes `isolate`, `cut` and `partition` for it).
    public func heal(_ node: NodeID) {
        state.withLock { state in
            state.isolated.remove(node)
            state.cutLinks = state.cutLinks.filter { $0.from != node && $0.to != node }
        }
    }

    /// Cuts the link from `from` to `to` only: `to` still reaches `from`.
    public func cut(from: NodeID, to: NodeID) {
        _ = state.withLock { $0.cutLinks.insert(Link(from: from, to: to)) }
    }

    /// Splits the nodes into groups that reach each other only within a group.
    public func partition(_ groups: [Set<NodeID>]) {
        state.withLock { state in
            for (i, group) in groups.enumerated() {
                for (j, other) in groups.enumerated() where i != j {
                    for a in group {
                        for b in other { state.cutLinks.insert(Link(from: a, to: b)) }
                    }
                }
            }
        }
    }

    /// Restores every link.
    public func healAll() {
        state.withLock { state in
            state.cutLinks = []
            state.isolated = []
        }
    }

    /// Delays every message on links without a delay of their own.
    public func setDelay(_ delay: Duration) {
        state.withLock { $0.defaultDelay = delay }
    }

    /// Delays messages from `from` to `to`.
    public func setDelay(_ delay: Duration, from: NodeID, to: NodeID) {
        state.withLock { $0.delays[Link(from: from, to: to)] = delay }
    }

    /// Messages handed to a node so far.
    public var deliveredCount: Int { state.withLock { $0.delivered } }
    /// Messages dropped so far (cut link or no such node).
    public var droppedCount: Int { state.withLock { $0.dropped } }

    // MARK: Endpoints

    func register(_ node: NodeID, deliver: @escaping @Sendable (TransportEvent) -> Void) -> UInt64 {
        state.withLock { state in
            let incarnation = state.nextIncarnation
            state.nextIncarnation += 1
            state.endpoints[node] = Endpoint(incarnation: incarnation, deliver: deliver)
            return incarnation
        }
    }

    func unregister(_ node: NodeID, incarnation: UInt64) {
        state.withLock { state in
            if state.endpoints[node]?.incarnation == incarnation { state.endpoints[node] = nil }
        }
    }
}

// MARK: Routing

extension InMemoryNetwork {
    /// One message's fate, decided under the lock and carried out after it (callbacks never run locked).
    private struct Route {
        var message: Message
        var target: Endpoint?
        var delay: Duration
        var linkUp: Bool
    }

    /// Delivers `messages` sent by `sender`, reporting unreachable nodes and snapshot outcomes back to it.
    func route(_ messages: [Message], from sender: NodeID) {
        let (routes, senderEndpoint) = state.withLock { state in
            let routes = messages.map { message in
                let link = Link(from: sender, to: message.to)
                return Route(message: message, target: state.endpoints[message.to], delay: state.delay(link),
                             linkUp: state.isUp(link))
            }
            return (routes, state.endpoints[sender])
        }
        var reportedUnreachable: Set<NodeID> = []
        for route in routes {
            guard route.linkUp, let target = route.target else {
                if route.target == nil, reportedUnreachable.insert(route.message.to).inserted {
                    senderEndpoint?.deliver(.unreachable(route.message.to))
                }
                finish(route.message, delivered: false, reportTo: senderEndpoint)
                continue
            }
            if route.delay == .zero {
                target.deliver(.message(route.message))
                finish(route.message, delivered: true, reportTo: senderEndpoint)
            } else {
                deliverLater(route.message, from: sender, after: route.delay, reportTo: senderEndpoint)
            }
        }
    }

    private func deliverLater(_ message: Message, from sender: NodeID, after delay: Duration,
                              reportTo senderEndpoint: Endpoint?) {
        Task {
            try? await Task.sleep(for: delay)
            // The link must still be up when the message arrives: a partition drops what is in flight.
            let target = state.withLock { state in
                state.isUp(Link(from: sender, to: message.to)) ? state.endpoints[message.to] : nil
            }
            target?.deliver(.message(message))
            finish(message, delivered: target != nil, reportTo: senderEndpoint)
        }
    }

    private func finish(_ message: Message, delivered: Bool, reportTo senderEndpoint: Endpoint?) {
        state.withLock { state in
            if delivered { state.delivered += 1 } else { state.dropped += 1 }
        }
        if message.kind == .installSnapshot {
            senderEndpoint?.deliver(.snapshotStatus(to: message.to, succeeded: delivered))
        }
    }
}
