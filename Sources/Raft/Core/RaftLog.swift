/// The in-memory view of one node's log: the snapshot it starts from, the entries after it, and the
/// cursors that say how much is committed, durable, handed out for persisting, and applied.
///
/// Invariants (checked by `checkInvariants`): `snapshotIndex <= applied <= committed <= lastIndex`,
/// `entries[i].index == snapshotIndex + 1 + i`, terms never decrease along the log.
struct RaftLog: Sendable, Equatable {
    /// The latest snapshot (data included, so a leader can send it); index 0 for "none".
    private(set) var snapshot: Snapshot
    /// Entries after `snapshot.metadata.index`.
    private(set) var entries: [Entry]
    /// Highest index known committed.
    private(set) var committed: UInt64
    /// Highest index the application has applied (reported through `advance`).
    private(set) var applied: UInt64
    /// Highest committed index already handed out in a `Ready` for applying.
    private(set) var applyHandedOut: UInt64
    /// Entries below this index were handed out for persisting (or were loaded from disk).
    private(set) var unstableFrom: UInt64
    /// Highest index known durable on this node's disk.
    private(set) var stableIndex: UInt64
    /// A received snapshot not yet handed out for persisting.
    private(set) var pendingSnapshot: Snapshot?

    /// Membership changes found in `entries`: the configuration after each, by index.
    private(set) var configHistory: [(index: UInt64, configuration: Configuration)]

    init(restoring state: PersistedState, applied: UInt64) {
        snapshot = state.snapshot ?? Snapshot(metadata: SnapshotMetadata(), data: [])
        entries = state.entries
        let last = snapshot.metadata.index + UInt64(entries.count)
        committed = min(state.hardState.commit, last)
        self.applied = min(max(applied, snapshot.metadata.index), committed)
        applyHandedOut = self.applied
        unstableFrom = last + 1
        stableIndex = last
        pendingSnapshot = nil
        configHistory = []
        rebuildConfigHistory()
    }

    static func == (lhs: RaftLog, rhs: RaftLog) -> Bool {
        lhs.snapshot == rhs.snapshot && lhs.entries == rhs.entries && lhs.committed == rhs.committed
            && lhs.applied == rhs.applied && lhs.stableIndex == rhs.stableIndex
    }

    // MARK: Positions

    var snapshotIndex: UInt64 { snapshot.metadata.index }
    var firstIndex: UInt64 { snapshotIndex + 1 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
    var lastTerm: UInt64 { entries.last?.term ?? snapshot.metadata.term }

    /// The term of the entry at `index`; nil when it was compacted away or is past the end.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshot.metadata.term }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - firstIndex)].term
    }

    func entry(at index: UInt64) -> Entry? {
        guard index >= firstIndex, index <= lastIndex else { return nil }
        return entries[Int(index - firstIndex)]
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool {
        self.term(at: index) == term
    }

    /// Raft §5.4.1: a candidate's log is at least as up-to-date as ours.
    func isUpToDate(lastIndex candidateIndex: UInt64, term candidateTerm: UInt64) -> Bool {
        candidateTerm > lastTerm || (candidateTerm == lastTerm && candidateIndex >= lastIndex)
    }

    /// The configuration in force: that of the latest membership entry in the log, committed or not
    /// (Raft dissertation §4.1), else the snapshot's.
    var configuration: Configuration {
        configHistory.last?.configuration ?? snapshot.metadata.configuration
    }

    /// The configuration as of `index` (which must not be below the snapshot).
    func configuration(at index: UInt64) -> Configuration {
        configHistory.last(where: { $0.index <= index })?.configuration ?? snapshot.metadata.configuration
    }

    /// True when a membership entry is in the log but not yet committed.
    var hasPendingConfigChange: Bool {
        (configHistory.last?.index ?? 0) > committed
    }

    // MARK: Reading ranges

    /// Entries in [from, through], at most `maxBytes` of them (at least one). nil if `from` was compacted.
    func entries(from: UInt64, through: UInt64, maxBytes: Int) -> [Entry]? {
        guard from >= firstIndex else { return nil }
        guard from <= through, from <= lastIndex else { return [] }
        let end = min(through, lastIndex)
        var result: [Entry] = []
        var bytes = 0
        for index in from...end {
            let entry = entries[Int(index - firstIndex)]
            if !result.isEmpty && bytes + entry.byteCount > maxBytes { break }
            bytes += entry.byteCount
            result.append(entry)
        }
        return result
    }

    /// True when `unstableEntries` is not empty; cheap, for `hasReady` on every driver turn.
    var hasUnstableEntries: Bool { unstableFrom <= lastIndex }

    /// True when `entriesToApply` is not empty.
    var hasEntriesToApply: Bool { committed > applyHandedOut }

    /// Entries not yet handed out for persisting.
    var unstableEntries: [Entry] {
        guard unstableFrom <= lastIndex else { return [] }
        return Array(entries[Int(unstableFrom - firstIndex)...])
    }

    /// Committed entries not yet handed out for applying.
    var entriesToApply: [Entry] {
        guard committed > applyHandedOut else { return [] }
        return Array(entries[Int(applyHandedOut + 1 - firstIndex)...Int(committed - firstIndex)])
    }

    /// Fast log backtracking (etcd's findConflictByTerm): the largest index <= `index` whose term is
    /// <= `term`. A leader and follower can skip a whole term per round trip this way.
    func largestIndex(atOrBelow index: UInt64, withTermAtMost term: UInt64) -> UInt64 {
        var candidate = min(index, lastIndex)
        while candidate > snapshotIndex {
            if let t = self.term(at: candidate), t <= term { return candidate }
            candidate -= 1
        }
        return candidate
    }

    // MARK: Changing the log

    /// Appends entries that follow the last one (a leader's own proposals).
    mutating func append(_ newEntries: [Entry]) {
        guard let first = newEntries.first else { return }
        precondition(first.index == lastIndex + 1, "append at \(first.index) after last \(lastIndex)")
        truncateAndAppend(newEntries)
    }

    /// AppendEntries on a follower (Raft Figure 2, receiver rules 2–5). Returns the index of the last
    /// new entry, or nil when the entry before them does not match.
    mutating func maybeAppend(prevIndex: UInt64, prevTerm: UInt64, leaderCommit: UInt64,
                              _ newEntries: [Entry]) -> UInt64? {
        guard matchTerm(prevIndex, prevTerm) else { return nil }
        let lastNew = prevIndex + UInt64(newEntries.count)
        if let conflict = firstConflict(in: newEntries) {
            precondition(conflict > committed, "conflict at \(conflict) inside committed prefix \(committed)")
            truncateAndAppend(Array(newEntries[Int(conflict - (prevIndex + 1))...]))
        }
        commit(to: min(leaderCommit, lastNew))
        return lastNew
    }

    /// The index of the first new entry that is not already in the log with the same term.
    private func firstConflict(in newEntries: [Entry]) -> UInt64? {
        for entry in newEntries where entry.index > snapshotIndex {
            if !matchTerm(entry.index, entry.term) { return entry.index }
        }
        return nil
    }

    private mutating func truncateAndAppend(_ newEntries: [Entry]) {
        guard let first = newEntries.first else { return }
        precondition(first.index > snapshotIndex && first.index <= lastIndex + 1,
                     "append at \(first.index) outside (\(snapshotIndex), \(lastIndex + 1)]")
        if first.index <= lastIndex {
            entries.removeSubrange(Int(first.index - firstIndex)...)
            configHistory.removeAll { $0.index >= first.index }
            unstableFrom = min(unstableFrom, first.index)
            stableIndex = min(stableIndex, first.index - 1)
        }
        for entry in newEntries {
            entries.append(entry)
            recordConfigChange(entry)
        }
    }

    private mutating func recordConfigChange(_ entry: Entry) {
        guard entry.kind == .configChange, let change = ConfigChange(decoding: entry.data) else { return }
        // A change that does not apply (validated by the proposer, so only reachable through a bug or a
        // hostile peer) leaves the configuration as it was, identically on every node.
        if let next = configuration.applying(change) {
            configHistory.append((entry.index, next))
        }
    }

    private mutating func rebuildConfigHistory() {
        configHistory = []
        for entry in entries { recordConfigChange(entry) }
    }

    /// Raises the commit index; never lowers it.
    mutating func commit(to index: UInt64) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit \(index) past last index \(lastIndex)")
        committed = index
    }

    /// Replaces the whole log with a snapshot from the leader.
    mutating func restore(_ newSnapshot: Snapshot) {
        snapshot = newSnapshot
        entries = []
        configHistory = []
        committed = newSnapshot.metadata.index
        applied = newSnapshot.metadata.index
        applyHandedOut = newSnapshot.metadata.index
        unstableFrom = newSnapshot.metadata.index + 1
        stableIndex = 0  // nothing of the new log is durable until the snapshot is persisted
        pendingSnapshot = newSnapshot
    }

    /// Replaces entries up to the snapshot's index with the snapshot the application took.
    mutating func compact(with newSnapshot: Snapshot) {
        let index = newSnapshot.metadata.index
        guard index > snapshotIndex else { return }
        precondition(index <= applied, "compact at \(index) beyond applied \(applied)")
        precondition(term(at: index) == newSnapshot.metadata.term,
                     "snapshot term \(newSnapshot.metadata.term) differs from log term at \(index)")
        var metadata = newSnapshot.metadata
        metadata.configuration = configuration(at: index)
        entries.removeSubrange(0..<Int(index - snapshotIndex))
        configHistory.removeAll { $0.index <= index }
        snapshot = Snapshot(metadata: metadata, data: newSnapshot.data)
    }

    // MARK: Handing out work

    mutating func markHandedOutForPersist() {
        unstableFrom = lastIndex + 1
        pendingSnapshot = nil
    }

    mutating func markHandedOutForApply(through index: UInt64) {
        applyHandedOut = max(applyHandedOut, index)
    }

    /// The driver made entries through `index` (at `term`) durable. Ignored when the log changed since.
    mutating func stable(to index: UInt64, term: UInt64) {
        guard matchTerm(index, term), index > stableIndex else { return }
        stableIndex = index
    }

    mutating func stableSnapshot(_ index: UInt64) {
        if index == snapshotIndex { stableIndex = max(stableIndex, index) }
    }

    mutating func applied(to index: UInt64) {
        guard index > applied else { return }
        precondition(index <= committed, "applied \(index) past committed \(committed)")
        applied = index
    }

    func checkInvariants() -> String? {
        if !(snapshotIndex <= applied && applied <= committed && committed <= lastIndex) {
            return "cursors out of order: snapshot \(snapshotIndex) applied \(applied) committed \(committed) last \(lastIndex)"
        }
        var previousTerm = snapshot.metadata.term
        for (offset, entry) in entries.enumerated() {
            if entry.index != firstIndex + UInt64(offset) { return "entry \(entry.index) at offset \(offset)" }
            if entry.term < previousTerm { return "term goes back at \(entry.index)" }
            previousTerm = entry.term
        }
        return nil
    }
}
