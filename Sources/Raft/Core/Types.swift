/// Identifies one member of a Raft group. `0` means "none" (no leader known, no vote cast).
public typealias NodeID = UInt64

/// The node id that stands for "nobody".
public let noNode: NodeID = 0

/// What an `Entry` carries. The core interprets `configChange` and `noop`; `normal` data is opaque to it.
public enum EntryKind: UInt8, Sendable, Equatable, Hashable {
    /// Application data, handed to the state machine when committed.
    case normal = 0
    /// A single-server membership change (`ConfigChange.encoded`).
    case configChange = 1
    /// The empty entry a new leader appends to commit entries of earlier terms (Raft §5.4.2).
    case noop = 2
}

/// One slot of the replicated log.
public struct Entry: Sendable, Equatable, Hashable {
    public var term: UInt64
    public var index: UInt64
    public var kind: EntryKind
    public var data: [UInt8]

    public init(term: UInt64, index: UInt64, kind: EntryKind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }

    /// Bytes this entry counts for in flow control and the uncommitted-bytes cap.
    public var byteCount: Int { data.count + 24 }
}

/// The state that MUST be durable before any message that depends on it is sent (Raft Figure 2,
/// "persistent state on all servers", plus the commit index so a restart re-applies less).
public struct HardState: Sendable, Equatable, Hashable {
    public var term: UInt64
    public var vote: NodeID
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: NodeID = noNode, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// The membership of the group: voters decide elections and commitment; learners only receive the log.
public struct Configuration: Sendable, Equatable, Hashable {
    public var voters: Set<NodeID>
    public var learners: Set<NodeID>

    public init(voters: Set<NodeID> = [], learners: Set<NodeID> = []) {
        self.voters = voters
        self.learners = learners
    }

    /// Every member, voter or learner.
    public var members: Set<NodeID> { voters.union(learners) }

    /// The number of voters whose agreement forms a majority.
    public var quorum: Int { voters.count / 2 + 1 }

    /// The configuration after `change`, or nil when the change makes no sense against this one.
    public func applying(_ change: ConfigChange) -> Configuration? {
        var next = self
        switch change.kind {
        case .addVoter:
            if voters.contains(change.node) { return nil }
            next.learners.remove(change.node)
            next.voters.insert(change.node)
        case .addLearner:
            if members.contains(change.node) { return nil }
            next.learners.insert(change.node)
        case .remove:
            if !members.contains(change.node) { return nil }
            next.voters.remove(change.node)
            next.learners.remove(change.node)
            if next.voters.isEmpty { return nil }
        }
        return next
    }
}

/// A single-server membership change (Raft dissertation §4.1): one voter or learner at a time.
public struct ConfigChange: Sendable, Equatable, Hashable {
    public enum Kind: UInt8, Sendable, Equatable, Hashable {
        /// Add a voter, or promote an existing learner.
        case addVoter = 0
        /// Add a non-voting member that receives the log.
        case addLearner = 1
        /// Remove a voter or learner.
        case remove = 2
    }

    public var kind: Kind
    public var node: NodeID

    public init(_ kind: Kind, node: NodeID) {
        self.kind = kind
        self.node = node
    }

    /// Nine bytes: the kind, then the node id little-endian.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = [kind.rawValue]
        withUnsafeBytes(of: node.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Decodes `encoded`; nil for anything else.
    public init?(decoding bytes: [UInt8]) {
        guard bytes.count == 9, let kind = Kind(rawValue: bytes[0]) else { return nil }
        var node: UInt64 = 0
        for i in (1...8).reversed() { node = node << 8 | UInt64(bytes[i]) }
        guard node != noNode else { return nil }
        self.init(kind, node: node)
    }
}

/// Where a snapshot cuts the log: the last entry it covers and the membership at that point.
public struct SnapshotMetadata: Sendable, Equatable, Hashable {
    public var index: UInt64
    public var term: UInt64
    public var configuration: Configuration

    public init(index: UInt64 = 0, term: UInt64 = 0, configuration: Configuration = Configuration()) {
        self.index = index
        self.term = term
        self.configuration = configuration
    }
}

/// A state-machine image that replaces every log entry up to `metadata.index`.
public struct Snapshot: Sendable, Equatable, Hashable {
    public var metadata: SnapshotMetadata
    public var data: [UInt8]

    public init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }
}

/// A linearizable read point: once the local state machine has applied `index`, a read tagged
/// `context` may be served from it (Raft dissertation §6.4).
public struct ReadState: Sendable, Equatable, Hashable {
    public var index: UInt64
    public var context: [UInt8]

    public init(index: UInt64, context: [UInt8]) {
        self.index = index
        self.context = context
    }
}

/// The role a node plays in its current term.
public enum Role: String, Sendable, Equatable, Hashable {
    case follower
    case preCandidate = "pre-candidate"
    case candidate
    case leader
}

/// Volatile facts about a node that observers (metrics, status, tests) care about.
public struct SoftState: Sendable, Equatable, Hashable {
    public var leader: NodeID
    public var role: Role

    public init(leader: NodeID, role: Role) {
        self.leader = leader
        self.role = role
    }
}
