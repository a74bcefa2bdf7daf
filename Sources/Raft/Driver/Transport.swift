/// What a transport tells its node besides the messages it receives.
public enum TransportEvent: Sendable, Equatable {
    /// A message addressed to this node.
    case message(Message)
    /// A message to `node` could not be delivered (no connection): the leader stops pipelining to it.
    case unreachable(NodeID)
    /// An `installSnapshot` to `node` was delivered, or given up on. The leader sends nothing else to a
    /// follower while a snapshot is on its way, so a transport MUST report every snapshot's outcome.
    case snapshotStatus(to: NodeID, succeeded: Bool)
}

/// Carries Raft messages between the nodes of a group.
///
/// Delivery is best effort: messages may be dropped, delayed, duplicated or reordered (Raft tolerates
/// all of it), but a message is never altered and is delivered only to its `to` node.
public protocol Transport: AnyObject, Sendable {
    /// Starts delivering to `deliver` everything addressed to this node. `RaftNode.start()` calls it
    /// once. `deliver` is cheap and never blocks, so it may be called from any thread or task.
    func start(_ deliver: @escaping @Sendable (TransportEvent) -> Void)

    /// Queues `messages` for delivery to their `to` nodes. MUST NOT block (it is called from the node's
    /// run loop) and MUST NOT reorder messages to the same destination within one call.
    func send(_ messages: [Message])

    /// Stops sending and delivering; messages in flight may be dropped. A delivery already under way when
    /// this is called may still reach `deliver` (the node ignores it once stopped).
    func stop()
}
