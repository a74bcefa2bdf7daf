import Synchronization

/// One node's end of an `InMemoryNetwork`.
public final class InMemoryTransport: Transport {
    /// The node this transport sends as.
    public let node: NodeID
    let network: InMemoryNetwork
    /// The registration with the network while started.
    private let incarnation = Mutex<UInt64?>(nil)

    init(node: NodeID, network: InMemoryNetwork) {
        self.node = node
        self.network = network
    }

    /// Registers with the network; a restarted node replaces its previous registration.
    public func start(_ deliver: @escaping @Sendable (TransportEvent) -> Void) {
        let registered = network.register(node, deliver: deliver)
        incarnation.withLock { $0 = registered }
    }

    /// Routes through the network at once (or after the link's delay); never blocks.
    public func send(_ messages: [Message]) {
        guard !messages.isEmpty, incarnation.withLock({ $0 }) != nil else { return }
        network.route(messages, from: node)
    }

    /// Unregisters: messages to this node are dropped and reported unreachable to their senders.
    public func stop() {
        guard let registered = incarnation.withLock({ value -> UInt64? in
            defer { value = nil }
            return value
        }) else { return }
        network.unregister(node, incarnation: registered)
    }
}
