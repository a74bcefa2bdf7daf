/// The checks every `RaftStorage` makes before it writes, so `MemoryStorage` in a simulation refuses
/// exactly what `DiskStorage` on a node refuses.
enum StorageContract {
    /// Checks one `persist` batch against the stored log, which ends at `lastIndex` and whose snapshot
    /// ends at `snapshotIndex`.
    static func checkBatch(
        entries: [Entry], snapshot: Snapshot?, lastIndex: UInt64, snapshotIndex: UInt64
    ) throws(RaftError) {
        for (previous, next) in zip(entries, entries.dropFirst()) where next.index != previous.index + 1 {
            throw .storage("entries to persist are not contiguous: \(next.index) follows \(previous.index)")
        }
        if let snapshot {
            let index = snapshot.metadata.index
            guard index >= snapshotIndex else {
                throw .storage("snapshot at \(index) is older than the stored snapshot at \(snapshotIndex)")
            }
            if let first = entries.first, first.index != index + 1 {
                throw .storage("entries after a snapshot at \(index) must start at \(index + 1), not \(first.index)")
            }
            return
        }
        guard let first = entries.first else { return }
        guard first.index <= lastIndex + 1 else {
            throw .storage("entries start at \(first.index) but the log ends at \(lastIndex): that leaves a gap")
        }
        guard first.index > snapshotIndex else {
            throw .storage("entry \(first.index) would overwrite the snapshot at \(snapshotIndex)")
        }
    }

    /// Checks a snapshot the local state machine took; false when it is older than the stored one. That
    /// happens when a leader's snapshot arrives while the state machine is taking its own: the older one
    /// is of no use, but no harm either, so it is dropped rather than failing the node.
    static func shouldStoreLocalSnapshot(
        _ snapshot: Snapshot, lastIndex: UInt64, snapshotIndex: UInt64
    ) throws(RaftError) -> Bool {
        let index = snapshot.metadata.index
        guard index >= snapshotIndex else { return false }
        guard index <= lastIndex else {
            throw .storage("snapshot at \(index) covers entries beyond the end of the log at \(lastIndex)")
        }
        return true
    }

    /// The hard state to hand back from `load`: a snapshot holds only committed entries, so the commit
    /// index is at least its index even when a crash lost the hard state stored with it.
    static func loadedHardState(_ hardState: HardState, snapshotIndex: UInt64) -> HardState {
        var result = hardState
        result.commit = max(result.commit, snapshotIndex)
        return result
    }
}
