import Synchronization

/// The `RaftStorage` of a node: a `FileLogStore` in `<directory>/log/` and a `SnapshotStore` in
/// `<directory>/snap/`, guarded by a lock file so only one process opens the directory.
///
/// Crash safety of a snapshot received from the leader: `persist` makes the snapshot file durable first,
/// then appends a frame with a snapshot marker (plus the batch's entries and hard state). A crash in
/// between leaves a snapshot newer than the log; `load()` notices that the log does not continue it,
/// drops the log and writes the marker the crash lost, which is what the interrupted `persist` would have
/// left.
///
/// Thread-safe, but the driver calls it from one task; the lock only makes the class `Sendable`. Calls
/// block on disk I/O and MUST NOT run on the cooperative thread pool in a hot path.
public final class DiskStorage: RaftStorage {
    /// The default segment size: large enough that rolling is rare, small enough that compaction frees
    /// space soon after a snapshot.
    public static let defaultSegmentBytes = 64 << 20

    private struct State {
        var log: FileLogStore
        var snapshots: SnapshotStore
        var lock: DirectoryLock?
        var isLoaded = false
        var lastIndex: UInt64 = 0
        var snapshotIndex: UInt64 = 0
    }

    /// The data directory.
    public let directory: String
    private let meter: SyncMeter
    private let state: Mutex<State>

    /// Opens (creating if needed) the data directory and locks it. Nothing is read until `load()`.
    ///
    /// - Parameters:
    ///   - segmentBytes: a log segment is closed once the next batch would take it past this size.
    ///   - onSync: called with the duration of every fsync and fdatasync, for latency metrics.
    /// - Throws: `.storage` when the directory cannot be created or another opener holds its lock.
    public init(
        directory: String, segmentBytes: Int = DiskStorage.defaultSegmentBytes,
        onSync: (@Sendable (Duration) -> Void)? = nil
    ) throws(RaftError) {
        let meter = SyncMeter(onSync: onSync)
        // A directory that a crash forgets would take the whole log with it: sync each new one's parent.
        for created in try FileSystem.makeDirectories(directory) {
            try FileSystem.syncDirectory(FileSystem.parent(of: created), meter: meter)
        }
        let lock = try DirectoryLock.acquire(directory: directory)
        var created: [String] = []
        for name in ["log", "snap"] { created += try FileSystem.makeDirectories("\(directory)/\(name)") }
        if !created.isEmpty { try FileSystem.syncDirectory(directory, meter: meter) }
        self.directory = directory
        self.meter = meter
        state = Mutex(State(
            log: FileLogStore(directory: "\(directory)/log", segmentBytes: segmentBytes, meter: meter),
            snapshots: SnapshotStore(directory: "\(directory)/snap", meter: meter),
            lock: lock))
    }

    /// fsync and fdatasync calls made so far (files and directories).
    public var syncCount: Int { meter.count }

    /// Releases the directory lock and closes the log; every later call throws `.stopped`. Also happens
    /// on deinit.
    public func close() {
        state.withLock { state in
            state.log.close()
            state.lock?.release()
            state.lock = nil
        }
    }

    /// Everything stored; see `RaftStorage.load()`. Cuts a torn tail off the log and throws
    /// `.corruptStorage` (naming the file and offset) for any other damage.
    public func load() throws(RaftError) -> PersistedState {
        try state.withLock { (state: inout State) throws(RaftError) -> PersistedState in
            guard state.lock != nil else { throw .stopped }
            return try Self.load(&state)
        }
    }

    /// Makes the batch durable; see `RaftStorage.persist(hardState:entries:snapshot:)`. One sync for a
    /// batch without a snapshot (two when it starts a new segment); a snapshot adds its own file's syncs.
    public func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(RaftError) {
        try state.withLock { (state: inout State) throws(RaftError) in
            try Self.ensureLoaded(&state)
            try StorageContract.checkBatch(
                entries: entries, snapshot: snapshot, lastIndex: state.lastIndex, snapshotIndex: state.snapshotIndex)
            guard hardState != nil || !entries.isEmpty || snapshot != nil else { return }
            var marker: SnapshotMarker?
            if let snapshot {
                try state.snapshots.save(snapshot)
                marker = SnapshotMarker(index: snapshot.metadata.index, term: snapshot.metadata.term)
            }
            // The indexes move only once the batch is in the log, so that after `.outOfSpace` the same
            // batch passes `checkBatch` again and can be retried.
            try state.log.append(hardState: hardState, entries: entries, marker: marker)
            if let snapshot {
                state.snapshotIndex = snapshot.metadata.index
                state.lastIndex = snapshot.metadata.index
            }
            if let last = entries.last { state.lastIndex = last.index }
        }
    }

    /// Stores a snapshot the local state machine took; see `RaftStorage.saveSnapshot(_:)`.
    public func saveSnapshot(_ snapshot: Snapshot) throws(RaftError) {
        try state.withLock { (state: inout State) throws(RaftError) in
            try Self.ensureLoaded(&state)
            guard try StorageContract.shouldStoreLocalSnapshot(
                snapshot, lastIndex: state.lastIndex, snapshotIndex: state.snapshotIndex) else { return }
            try state.snapshots.save(snapshot)
            state.snapshotIndex = snapshot.metadata.index
        }
    }

    /// Deletes log segments whose entries are all at or below `index`. MUST only be called for an index
    /// covered by a saved snapshot.
    public func compact(through index: UInt64) throws(RaftError) {
        try state.withLock { (state: inout State) throws(RaftError) in
            try Self.ensureLoaded(&state)
            precondition(index <= state.snapshotIndex,
                         "compact(through: \(index)) beyond the snapshot at \(state.snapshotIndex) in \(directory)")
            try state.log.compact(through: index)
        }
    }

    /// The segment sequence numbers on disk, oldest first (for tests and status pages).
    var segmentSequences: [UInt64] {
        state.withLock { $0.log.segments.map(\.sequence) }
    }

    /// Throws `.stopped` after `close()`; loads first when the driver has not (a load sets up appending).
    private static func ensureLoaded(_ state: inout State) throws(RaftError) {
        guard state.lock != nil else { throw .stopped }
        if !state.isLoaded { _ = try load(&state) }
    }

    /// Reads the newest snapshot and replays the log, then makes the two agree: entries start right after
    /// the snapshot, and a log that does not continue the snapshot is dropped (durably, with a marker).
    private static func load(_ state: inout State) throws(RaftError) -> PersistedState {
        let snapshot = try state.snapshots.latest()
        let replayed = try state.log.replay()
        let snapshotIndex = snapshot?.metadata.index ?? 0
        let snapshotTerm = snapshot?.metadata.term ?? 0
        if let marker = replayed.marker, marker.index > snapshotIndex {
            throw .corruptStorage("\(state.log.directory): the log restarts after a snapshot at \(marker.index) "
                + "but the newest snapshot file in \(state.snapshots.directory) is at \(snapshotIndex)")
        }
        var entries = replayed.entries
        if let first = entries.first?.index, let last = entries.last?.index {
            if first > snapshotIndex + 1 {
                throw .corruptStorage("\(state.log.directory): the log starts at \(first) "
                    + "but the snapshot ends at \(snapshotIndex); entries in between are missing")
            }
            let continuesSnapshot = snapshotIndex < first
                || (snapshotIndex <= last && entries[Int(snapshotIndex - first)].term == snapshotTerm)
            if continuesSnapshot {
                entries.removeFirst(Int(snapshotIndex + 1 - first))
            } else {
                // A crash after a leader's snapshot was saved but before its marker frame: the entries are
                // from a history the snapshot replaced. The marker stops them coming back on the next
                // replay, where later entries would otherwise be appended to them.
                try state.log.append(
                    hardState: nil, entries: [], marker: SnapshotMarker(index: snapshotIndex, term: snapshotTerm))
                entries = []
            }
        }
        state.isLoaded = true
        state.snapshotIndex = snapshotIndex
        state.lastIndex = entries.last?.index ?? snapshotIndex
        let hardState = StorageContract.loadedHardState(replayed.hardState ?? HardState(), snapshotIndex: snapshotIndex)
        return PersistedState(hardState: hardState, snapshot: snapshot, entries: entries)
    }
}
