import Synchronization

/// A `RaftStorage` that keeps everything in memory, for tests and deterministic simulations.
///
/// It makes the same checks and has the same replace-the-suffix semantics as `DiskStorage`, but
/// nothing survives the process. Thread-safe.
public final class MemoryStorage: RaftStorage {
    private struct State {
        var hardState = HardState()
        var snapshot: Snapshot?
        /// Contiguous; may still hold entries at or below the snapshot until `compact(through:)`.
        var entries: [Entry] = []

        var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
        var lastIndex: UInt64 { entries.last?.index ?? snapshotIndex }
    }

    private let state: Mutex<State>

    /// Starts from `initial` (for example `PersistedState.bootstrap(voters:)`).
    public init(_ initial: PersistedState = PersistedState()) {
        state = Mutex(State(hardState: initial.hardState, snapshot: initial.snapshot, entries: initial.entries))
    }

    /// Everything stored: hard state, the latest snapshot, the entries after it.
    public func load() throws(RaftError) -> PersistedState {
        state.withLock { state in
            let snapshotIndex = state.snapshotIndex
            return PersistedState(
                hardState: StorageContract.loadedHardState(state.hardState, snapshotIndex: snapshotIndex),
                snapshot: state.snapshot,
                entries: state.entries.filter { $0.index > snapshotIndex })
        }
    }

    /// Stores the batch; see `RaftStorage.persist(hardState:entries:snapshot:)`.
    public func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(RaftError) {
        try state.withLock { (state: inout State) throws(RaftError) in
            try StorageContract.checkBatch(
                entries: entries, snapshot: snapshot, lastIndex: state.lastIndex, snapshotIndex: state.snapshotIndex)
            if let snapshot {
                state.snapshot = snapshot
                state.entries = []
            }
            // Stored entries always start at or below snapshotIndex + 1, and checkBatch keeps `first`
            // above snapshotIndex, so the suffix to drop lies inside `state.entries`.
            if let first = entries.first, first.index <= state.lastIndex {
                state.entries.removeLast(Int(state.lastIndex - first.index + 1))
            }
            state.entries.append(contentsOf: entries)
            if let hardState { state.hardState = hardState }
        }
    }

    /// Stores a snapshot the local state machine took.
    public func saveSnapshot(_ snapshot: Snapshot) throws(RaftError) {
        try state.withLock { (state: inout State) throws(RaftError) in
            if try StorageContract.shouldStoreLocalSnapshot(
                snapshot, lastIndex: state.lastIndex, snapshotIndex: state.snapshotIndex) {
                state.snapshot = snapshot
            }
        }
    }

    /// Drops entries with index <= `index`. MUST only be called for an index covered by a saved snapshot.
    public func compact(through index: UInt64) throws(RaftError) {
        state.withLock { state in
            precondition(index <= state.snapshotIndex,
                         "compact(through: \(index)) beyond the snapshot at \(state.snapshotIndex)")
            state.entries.removeAll { $0.index <= index }
        }
    }
}
