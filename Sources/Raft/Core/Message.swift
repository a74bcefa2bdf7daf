/// The kinds of message Raft peers exchange. Fields of `Message` that a kind does not use are zero.
public enum MessageKind: UInt8, Sendable, Equatable, Hashable, CaseIterable {
    /// AppendEntries: `index`/`logTerm` locate the entry before `entries`; `commit` is the leader's.
    case append = 0
    /// Reply to `append`: success carries the follower's new last index in `index`; a rejection carries
    /// `rejectHint` (a guess at the follower's last matching index) and `logTerm` (its term there).
    case appendResponse = 1
    /// RequestVote: `index`/`logTerm` describe the candidate's last entry; `context` = `campaignTransfer`
    /// when leadership transfer asked for it (voters then skip the leader-stickiness check).
    case requestVote = 2
    case requestVoteResponse = 3
    /// Pre-vote (dissertation §9.6): a vote for `term` (= sender's term + 1) that changes nobody's term.
    case requestPreVote = 4
    case requestPreVoteResponse = 5
    /// Leader liveness and commit propagation; `context` tags a pending ReadIndex round.
    case heartbeat = 6
    case heartbeatResponse = 7
    /// InstallSnapshot: the whole snapshot in `snapshot` (the transport may cut it into pieces on the wire).
    case installSnapshot = 8
    /// Leadership transfer: the receiver starts an election at once, skipping pre-vote.
    case timeoutNow = 9
    /// A follower's proposal forwarded to the leader (`entries` carry the data).
    case propose = 10
    /// A follower's ReadIndex request forwarded to the leader (`context` identifies it).
    case readIndex = 11
    /// The leader's answer to `readIndex`: the read may be served once `index` is applied.
    case readIndexResponse = 12
    /// A follower asking the leader to hand leadership to `index` (used as a node id).
    case transferLeader = 13
}

/// The context of a `requestVote` sent because the old leader asked for it (leadership transfer).
public let campaignTransfer: [UInt8] = Array("transfer".utf8)

/// One message between Raft peers. A plain value: the transport encodes it (see `Wire/`).
public struct Message: Sendable, Equatable, Hashable {
    public var kind: MessageKind
    public var from: NodeID
    public var to: NodeID
    public var term: UInt64
    public var logTerm: UInt64
    public var index: UInt64
    public var entries: [Entry]
    public var commit: UInt64
    public var reject: Bool
    public var rejectHint: UInt64
    public var snapshot: Snapshot?
    public var context: [UInt8]

    public init(
        kind: MessageKind, from: NodeID = noNode, to: NodeID = noNode, term: UInt64 = 0,
        logTerm: UInt64 = 0, index: UInt64 = 0, entries: [Entry] = [], commit: UInt64 = 0,
        reject: Bool = false, rejectHint: UInt64 = 0, snapshot: Snapshot? = nil, context: [UInt8] = []
    ) {
        self.kind = kind
        self.from = from
        self.to = to
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.entries = entries
        self.commit = commit
        self.reject = reject
        self.rejectHint = rejectHint
        self.snapshot = snapshot
        self.context = context
    }

    /// Bytes this message counts for in flow control.
    public var byteCount: Int {
        entries.reduce(64 + context.count) { $0 + $1.byteCount } + (snapshot?.data.count ?? 0)
    }
}
