/// What a node finds on disk when it starts: the input to `RaftCore.init(config:restoring:applied:)`.
public struct PersistedState: Sendable, Equatable {
    public var hardState: HardState
    /// The latest snapshot, if any; `entries` continue right after it.
    public var snapshot: Snapshot?
    /// Stored log entries, contiguous, starting at `snapshot.metadata.index + 1` (or 1).
    public var entries: [Entry]

    public init(hardState: HardState = HardState(), snapshot: Snapshot? = nil, entries: [Entry] = []) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    /// True for a node that has never stored anything (a joining node before the leader reaches it).
    public var isEmpty: Bool { hardState == HardState() && snapshot == nil && entries.isEmpty }

    /// The state every founding member of a new cluster starts from: one `addVoter` entry per voter
    /// at term 1, all committed. Every founder MUST be given the same `voters`, in any order.
    public static func bootstrap(voters: [NodeID]) -> PersistedState {
        let sorted = Set(voters).sorted()
        precondition(!sorted.isEmpty && !sorted.contains(noNode), "bootstrap needs non-zero voter ids: \(voters)")
        let entries = sorted.enumerated().map { offset, node in
            Entry(term: 1, index: UInt64(offset + 1), kind: .configChange,
                  data: ConfigChange(.addVoter, node: node).encoded)
        }
        return PersistedState(hardState: HardState(term: 1, vote: noNode, commit: UInt64(entries.count)),
                              snapshot: nil, entries: entries)
    }
}
