@testable import Raft

/// A simulated disk holding what one node made durable. A crash loses every batch not yet synced;
/// the batch being written when the crash hits may be torn (a prefix of its entries survives).
struct SimDisk {
    private(set) var hardState = HardState()
    private(set) var snapshot: Snapshot?
    private(set) var entries: [Entry] = []

    init(bootstrap: PersistedState) {
        hardState = bootstrap.hardState
        snapshot = bootstrap.snapshot
        entries = bootstrap.entries
    }

    var persisted: PersistedState {
        PersistedState(hardState: hardState, snapshot: snapshot, entries: entries)
    }

    private var firstIndex: UInt64 { (snapshot?.metadata.index ?? 0) + 1 }

    /// Writes one batch durably, with the same suffix-replacement rule as the real storage.
    mutating func write(hardState newHardState: HardState?, entries newEntries: [Entry], snapshot newSnapshot: Snapshot?) {
        if let newSnapshot {
            snapshot = newSnapshot
            entries = []
        }
        append(newEntries)
        if let newHardState { hardState = newHardState }
    }

    /// What a torn write leaves: the first `count` entries of the batch and nothing else.
    mutating func writeTorn(entries newEntries: [Entry], count: Int) {
        append(Array(newEntries.prefix(count)))
    }

    private mutating func append(_ newEntries: [Entry]) {
        guard let first = newEntries.first else { return }
        let last = firstIndex + UInt64(entries.count) - 1
        precondition(first.index >= firstIndex && first.index <= last + 1,
                     "disk append at \(first.index) outside [\(firstIndex), \(last + 1)]")
        entries.removeSubrange(Int(first.index - firstIndex)...)
        entries.append(contentsOf: newEntries)
    }

    /// Stores a snapshot the state machine took and drops the entries it covers.
    mutating func compact(_ newSnapshot: Snapshot) {
        let index = newSnapshot.metadata.index
        guard index >= firstIndex else { return }
        let drop = min(Int(index - firstIndex + 1), entries.count)
        entries.removeFirst(drop)
        snapshot = newSnapshot
    }
}
