/// Where a Raft node keeps what MUST survive a crash: the hard state, the latest snapshot and the log
/// entries after it.
///
/// Call order (one driver task, never concurrently): `load()` once at start; then, for each `Ready`,
/// `persist(hardState:entries:snapshot:)` before sending any message that depends on it; after the local
/// state machine takes a snapshot, `saveSnapshot(_:)` and then `compact(through:)`.
///
/// Implementations: `DiskStorage` (segment files and snapshot files, for nodes) and `MemoryStorage`
/// (for tests and simulations).
public protocol RaftStorage: AnyObject, Sendable {
    /// Everything stored: hard state, the latest snapshot, the entries after it.
    ///
    /// `entries` are contiguous from `snapshot.metadata.index + 1` (or 1), and `hardState.commit` is at
    /// least the snapshot index, because a snapshot only ever holds committed entries.
    func load() throws(RaftError) -> PersistedState

    /// Makes hardState (if non-nil), snapshot (if non-nil; entries then continue after it) and entries
    /// durable together: one fsync for the batch (group commit).
    ///
    /// `entries` MUST be contiguous. Their first index MUST NOT be above the last stored index + 1; an
    /// entry at or below the last stored index replaces the stored suffix from there on. They MUST NOT
    /// reach into the stored snapshot. A `snapshot` replaces the whole log: `entries` MUST then start right
    /// after it. Breaking these throws `.storage` and stores nothing.
    func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(RaftError)

    /// Stores a snapshot the local state machine took (temp file + fsync + rename + directory fsync).
    ///
    /// The snapshot MUST cover only entries already stored (else `.storage` is thrown). One older than the
    /// stored snapshot (a leader's arrived meanwhile) is ignored.
    func saveSnapshot(_ snapshot: Snapshot) throws(RaftError)

    /// Drops stored entries with index <= `index` where that is cheap (whole segments). MUST only be
    /// called for an index covered by a saved snapshot.
    func compact(through index: UInt64) throws(RaftError)
}
