/// Everything a `RaftCore` asks its driver to do, drained by `RaftCore.ready()`.
///
/// The driver MUST carry it out in this order:
/// 1. send `messages` (they never depend on this batch being durable; a leader may replicate
///    while it writes its own log, Raft dissertation §10.2.1);
/// 2. make `snapshot`, `entries` and `hardState` durable, in one fsync where it can. An entry whose index
///    is at or below the last stored one replaces the stored suffix from that index on;
/// 3. send `messagesAfterPersist` (votes and acknowledgements: they promise that step 2 happened);
/// 4. call `RaftCore.advance(_:)` with this value;
/// 5. restore `snapshot` into the state machine (if any), then apply `committedEntries` in order,
///    then serve `readStates` once their index is applied.
public struct Ready: Sendable, Equatable {
    /// Set when the leader or role changed since the last `ready()`.
    public var softState: SoftState?
    /// Set when term, vote or commit changed since the last `ready()`.
    public var hardState: HardState?
    /// New log entries to store, in index order.
    public var entries: [Entry] = []
    /// A snapshot received from the leader, to store and to restore into the state machine.
    public var snapshot: Snapshot?
    /// Messages that may be sent before step 2.
    public var messages: [Message] = []
    /// Messages that MUST NOT be sent before step 2 is durable.
    public var messagesAfterPersist: [Message] = []
    /// Committed entries to apply, in index order, none applied before.
    public var committedEntries: [Entry] = []
    /// Linearizable read points released since the last `ready()`.
    public var readStates: [ReadState] = []

    public init() {}

    /// True when the driver has nothing to do.
    public var isEmpty: Bool {
        softState == nil && hardState == nil && entries.isEmpty && snapshot == nil && messages.isEmpty
            && messagesAfterPersist.isEmpty && committedEntries.isEmpty && readStates.isEmpty
    }

    /// True when step 2 has something to write.
    public var needsPersist: Bool { hardState != nil || !entries.isEmpty || snapshot != nil }
}
