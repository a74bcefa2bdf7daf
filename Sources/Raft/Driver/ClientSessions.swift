/// The session table that makes retried proposals exactly-once (Raft dissertation §6.3).
///
/// Every proposal carries a client id and a sequence number. Applying an entry consults the table first:
/// a sequence at or below the client's latest applied one is not applied again; the latest one is answered
/// with its cached result, an older one is reported stale (the client has moved on and no longer waits for
/// it). Each client therefore has at most one proposal in flight whose result it still needs.
///
/// The table is part of the replicated state: it changes only on applied entries, so every node holds the
/// same table at the same applied index, and it travels inside snapshots (`encoded()`).
///
/// It is bounded, deterministically on every node: a session with no applied proposal in the last
/// `idleEntries` log indexes is evicted, and when more than `maxSessions` exist the least recently active
/// are evicted first. A retry that arrives after its session was evicted is applied again, so clients MUST
/// finish retrying well within `idleEntries` entries. Both limits MUST be the same on every node.
public struct ClientSessions: Sendable {
    /// What the table remembers about one client.
    public struct Session: Sendable, Equatable {
        /// The highest sequence number applied for this client.
        public var sequence: UInt64
        /// The state machine's answer to `sequence`; nil when unknown (the entry was replayed after a
        /// restart, when only the state machine's data, not its answers, survived).
        public var result: [UInt8]?
        /// The log index of the entry that last applied a proposal of this client.
        public var lastActiveIndex: UInt64
    }

    /// What to do with a proposal.
    public enum Verdict: Sendable, Equatable {
        /// A new sequence: apply it, then `record` it.
        case apply
        /// The client's latest applied sequence again: answer with the cached result, apply nothing.
        case duplicate(result: [UInt8]?)
        /// Older than the latest applied sequence: apply nothing; nobody waits for its answer.
        case stale(latest: UInt64)
    }

    /// Sessions idle for this many log indexes are evicted.
    public let idleEntries: UInt64
    /// At most this many sessions are kept.
    public let maxSessions: Int
    /// The live sessions by client.
    public private(set) var sessions: [ClientID: Session] = [:]
    /// Every `record`, oldest first, so eviction never scans the table. Entries whose session was touched
    /// again later are skipped when they reach the head. Derived state: rebuilt when decoding.
    private var touches: [(index: UInt64, client: ClientID)] = []
    private var touchesHead = 0

    /// An empty table with the given limits.
    public init(idleEntries: UInt64 = 1_000_000, maxSessions: Int = 100_000) {
        precondition(idleEntries > 0 && maxSessions > 0,
                     "session limits must be positive: idleEntries \(idleEntries), maxSessions \(maxSessions)")
        self.idleEntries = idleEntries
        self.maxSessions = maxSessions
    }

    /// The number of live sessions.
    public var count: Int { sessions.count }

    /// Decides whether a proposal of `client` numbered `sequence` must be applied.
    public func verdict(client: ClientID, sequence: UInt64) -> Verdict {
        guard !client.isNone, let session = sessions[client] else { return .apply }
        if sequence > session.sequence { return .apply }
        if sequence == session.sequence { return .duplicate(result: session.result) }
        return .stale(latest: session.sequence)
    }

    /// Records that the entry at `index` applied `sequence` of `client` with `result`. Callers MUST have
    /// received `.apply` from `verdict` for it, and MUST record in index order. `ClientID.none` is ignored.
    public mutating func record(client: ClientID, sequence: UInt64, result: [UInt8]?, at index: UInt64) {
        guard !client.isNone else { return }
        if let existing = sessions[client] {
            precondition(sequence > existing.sequence && index > existing.lastActiveIndex,
                         "\(client): recording sequence \(sequence) at \(index) after \(existing.sequence) "
                            + "at \(existing.lastActiveIndex)")
        }
        sessions[client] = Session(sequence: sequence, result: result, lastActiveIndex: index)
        touches.append((index, client))
        expire(at: index)
    }

    /// Evicts sessions idle for `idleEntries` as of log index `index`, then the least recently active
    /// ones while more than `maxSessions` remain. Call it for every applied index (any entry kind).
    public mutating func expire(at index: UInt64) {
        while touchesHead < touches.count {
            let touch = touches[touchesHead]
            let idle = index >= touch.index && index - touch.index >= idleEntries
            guard idle || sessions.count > maxSessions else { break }
            touchesHead += 1
            if sessions[touch.client]?.lastActiveIndex == touch.index {
                sessions[touch.client] = nil
            }
        }
        if touchesHead > 1024 && touchesHead * 2 > touches.count {
            touches.removeFirst(touchesHead)
            touchesHead = 0
        }
    }

    /// Rebuilds the table from decoded sessions (see `ClientSessions+Coding`).
    init(sessions: [ClientID: Session], idleEntries: UInt64, maxSessions: Int) {
        self.init(idleEntries: idleEntries, maxSessions: maxSessions)
        self.sessions = sessions
        touches = sessions.map { ($0.value.lastActiveIndex, $0.key) }.sorted { $0.index < $1.index }
    }
}

extension ClientSessions: Equatable {
    /// Two tables are equal when they hold the same sessions under the same limits; the eviction queue
    /// is derived state and does not count.
    public static func == (lhs: ClientSessions, rhs: ClientSessions) -> Bool {
        lhs.idleEntries == rhs.idleEntries && lhs.maxSessions == rhs.maxSessions && lhs.sessions == rhs.sessions
    }
}
