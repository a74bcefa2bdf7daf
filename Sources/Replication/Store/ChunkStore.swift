import Glibc
import Logging
import Synchronization

/// The chunks this node holds: one file per chunk frame under a directory, with an in-memory index.
///
/// Layout of `directory`:
/// ```
/// LOCK                  flock held while open; holds the pid as a hint
/// chunks/ab/cd/<id>     one ChunkFrame per file, named by the 64 hex digits of its id (ab, cd: its first two bytes)
/// tmp/                  frames being written; anything here at open is a crash leftover and is removed
/// quarantine/<id>[.n]   copies that failed verification, kept for inspection, never served
/// ```
/// Writes are crash-safe: a frame is written to `tmp/`, fsynced, renamed into place, and the directory
/// is fsynced before `put` returns, so a chunk reported stored survives a crash and a crash never leaves
/// a partial file under `chunks/`. Reads verify the frame against its id every time (DESIGN.md: corrupt
/// data is never served); a copy that fails is quarantined and the chunk reported corrupt, so the caller
/// fetches it from another replica.
///
/// Thread-safe: the index sits behind a `Mutex` held only for in-memory work; file I/O runs outside it,
/// under one of 64 per-id stripe locks for the operations that change a chunk's file (put, delete,
/// quarantine), so calls on different chunks proceed in parallel. Every call is synchronous and may block
/// on disk I/O (fsync takes milliseconds): call it from a dedicated thread or queue, and MUST NOT call
/// it from the cooperative thread pool (a Swift concurrency task) without moving off it first.
public final class ChunkStore: Sendable {
    /// How a store accepts writes.
    public struct Options: Sendable, Equatable {
        /// Free space a `put` must leave on the file system; a write that would eat into it is refused
        /// with `.insufficientSpace` (the node keeps room for its Raft log and snapshots).
        public var reserveBytes: Int
        /// The longest chunk (raw bytes) accepted, and the bound on any frame length read back.
        public var maxChunkBytes: Int

        /// Options; the defaults keep 1 GiB free and accept chunks up to `ChunkerOptions.maxBytesLimit`.
        public init(reserveBytes: Int = 1 << 30, maxChunkBytes: Int = ChunkerOptions.maxBytesLimit) {
            self.reserveBytes = reserveBytes
            self.maxChunkBytes = maxChunkBytes
        }
    }

    /// What `put` did.
    public enum PutOutcome: Sendable, Equatable {
        /// The frame was verified and is now durable here.
        case stored
        /// The chunk was already held; nothing was written.
        case deduplicated
    }

    /// The store's contents in numbers, for status and metrics.
    public struct Totals: Sendable, Equatable {
        /// Chunks held.
        public var chunks: Int
        /// Their decoded size.
        public var rawBytes: Int
        /// Their size on disk (frames, headers included).
        public var storedBytes: Int
    }

    /// A chunk read back and verified: the frame (to send to a peer as is) and the decoded bytes.
    public struct StoredChunk: Sendable, Equatable {
        /// The frame as stored.
        public let frame: ChunkFrame
        /// The chunk's bytes; their SHA-256 is `frame.id`.
        public let data: [UInt8]
    }

    /// One page of `list`, in id order.
    public struct Page: Sendable, Equatable {
        /// The chunks of this page.
        public var chunks: [ChunkInfo]
        /// Pass as `after` for the next page; nil when this was the last.
        public var next: ChunkID?

        public init(chunks: [ChunkInfo], next: ChunkID?) {
            self.chunks = chunks
            self.next = next
        }
    }

    struct State {
        var index = ChunkIndex()
        /// Nil once closed.
        var lock: StoreLock?
        /// Where the next `scrub` starts (after this id); nil: from the beginning.
        var scrubCursor: ChunkID?
    }

    /// The store's root directory.
    public let directory: String
    /// How writes are accepted.
    public let options: Options
    let logger: Logger
    let state: Mutex<State>
    private let stripes: [Stripe]
    let tempCounter = Atomic<UInt64>(0)
    /// Monotonic nanoseconds, for when chunks were last used (GC's grace period); injectable for tests.
    let clock: @Sendable () -> UInt64

    /// Opens the store in `directory`, creating it if needed: takes its lock, removes crash leftovers
    /// from `tmp/`, and indexes every chunk file by reading its header (a file whose header is damaged or
    /// does not match its name is quarantined). Contents are verified in full by `get` and `scrub`.
    ///
    /// - Throws: `.storeLocked` when another opener holds the directory, `.invalidOptions`, `.io`.
    public init(directory: String, options: Options = Options(), logger: Logger = Logger(label: "replication.store"),
                clock: @escaping @Sendable () -> UInt64 = ChunkStore.monotonicNanos)
        throws(ReplicationError)
    {
        self.clock = clock
        guard options.reserveBytes >= 0 else { throw .invalidOptions("reserveBytes \(options.reserveBytes) is negative") }
        guard (1...ChunkerOptions.maxBytesLimit).contains(options.maxChunkBytes) else {
            throw .invalidOptions("maxChunkBytes \(options.maxChunkBytes) must be 1...\(ChunkerOptions.maxBytesLimit)")
        }
        try FileSystem.makeDirectoriesDurably(directory)
        let lock = try StoreLock.acquire(directory: directory)
        for name in ["chunks", "tmp", "quarantine"] { try FileSystem.makeDirectoriesDurably("\(directory)/\(name)") }
        self.directory = directory
        self.options = options
        self.logger = logger
        stripes = (0..<64).map { _ in Stripe() }
        state = Mutex(State(lock: lock))
        try removeTemporaryFiles()
        let index = try scanChunks()
        state.withLock { $0.index = index }
    }

    deinit {
        state.withLock { $0.lock?.release() }
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func monotonicNanos() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Releases the directory lock; every later call throws `.closed`. Also happens on deinit.
    public func close() {
        state.withLock { state in
            state.lock?.release()
            state.lock = nil
        }
    }

    // MARK: Queries (memory only)

    /// Whether the chunk is held.
    public func contains(_ id: ChunkID) throws(ReplicationError) -> Bool {
        try withState { $0.index.contains(id) }
    }

    /// For each id, whether it is held (same order), for a peer asking which chunks it must send. A
    /// held chunk counts as used now: the writer will refer to it instead of sending it, so GC must not
    /// take it during its grace period (see `collect`).
    public func has(_ ids: [ChunkID]) throws(ReplicationError) -> [Bool] {
        let now = clock()
        return try withState { state in ids.map { state.index.touch($0, at: now) } }
    }

    /// The sizes of a held chunk, or nil.
    public func stat(_ id: ChunkID) throws(ReplicationError) -> ChunkInfo? {
        try withState { $0.index.entry(for: id).map(ChunkInfo.init) }
    }

    /// Up to `limit` held chunks with ids greater than `after` (from the first when nil), in id order:
    /// pages for GC and repair, stable while chunks come and go.
    public func list(after: ChunkID? = nil, limit: Int) throws(ReplicationError) -> Page {
        let entries = try withState { $0.index.page(after: after, limit: limit) }
        let next = entries.count == limit ? entries.last?.id : nil
        return Page(chunks: entries.map(ChunkInfo.init), next: next)
    }

    /// Chunks and bytes held.
    public func totals() throws(ReplicationError) -> Totals {
        try withState { Totals(chunks: $0.index.count, rawBytes: $0.index.rawBytes, storedBytes: $0.index.storedBytes) }
    }

    // MARK: Writes

    /// Stores `frame` durably unless the chunk is already held.
    ///
    /// The frame is decoded and its content checked against its id first: a frame whose bytes are not
    /// its id is refused (`.idMismatch`, `.corruptFrame`) and nothing is written. Returns only after the
    /// file and its directory entry are fsynced.
    ///
    /// - Throws: the frame's errors, `.chunkTooLarge`, `.insufficientSpace` (nothing left behind), `.io`.
    @discardableResult
    public func put(_ frame: ChunkFrame) throws(ReplicationError) -> PutOutcome {
        if try touch(frame.id) { return .deduplicated }
        guard frame.rawLength <= options.maxChunkBytes else {
            throw .chunkTooLarge(length: frame.rawLength, limit: options.maxChunkBytes)
        }
        try frame.verify()
        return try stripe(for: frame.id).mutex.withLock { _ throws(ReplicationError) -> PutOutcome in
            // Another put of the same chunk may have finished while this one verified.
            if try touch(frame.id) { return .deduplicated }
            try checkSpace(for: frame.storedLength)
            try writeDurably(frame)
            var entry = ChunkIndex.Entry(frame)
            entry.touchedAtNanos = clock()
            try withState { _ = $0.index.insert(entry) }
            return .stored
        }
    }

    /// Encodes `data` as a frame and stores it (see `put(_:)`); returns its id and what happened.
    @discardableResult
    public func put(data: [UInt8]) throws(ReplicationError) -> (id: ChunkID, outcome: PutOutcome) {
        guard data.count <= options.maxChunkBytes else {
            throw .chunkTooLarge(length: data.count, limit: options.maxChunkBytes)
        }
        let frame = ChunkFrame(encoding: data)
        return (frame.id, try put(frame))
    }

    /// Removes the chunk; returns false when it was not held. Durable (directory fsynced) on return.
    @discardableResult
    public func delete(_ id: ChunkID) throws(ReplicationError) -> Bool {
        try stripe(for: id).mutex.withLock { _ throws(ReplicationError) -> Bool in
            guard try contains(id) else { return false }
            let path = chunkPath(id)
            try FileSystem.remove(path)
            try FileSystem.syncDirectory(FileSystem.parent(of: path))
            try withState { _ = $0.index.remove(id) }
            return true
        }
    }

    /// What `collect` did.
    public struct CollectReport: Sendable, Equatable {
        /// Chunks deleted, and their bytes on disk.
        public var deleted: Int = 0
        public var deletedBytes: Int = 0
        /// Candidates kept because a writer used them within the grace period.
        public var recentlyUsed: Int = 0
        /// Candidates not held (already gone).
        public var absent: Int = 0

        public init() {}
    }

    /// Garbage collection of `ids` (chunks the caller found unreferenced): deletes each one that no
    /// writer stored or asked for (`has`) within the last `untouchedForNanos`. The age check and the
    /// removal from the index are one step under the index lock, so a writer's `has` either comes
    /// before it (and keeps the chunk) or after (and is told the chunk is missing, so it sends it again):
    /// a chunk a writer counts on is never deleted.
    public func collect(_ ids: [ChunkID], untouchedForNanos: UInt64) throws(ReplicationError) -> CollectReport {
        var report = CollectReport()
        for id in ids {
            try stripe(for: id).mutex.withLock { _ throws(ReplicationError) in
                let now = clock()
                let removed = try withState { state -> ChunkIndex.Entry? in
                    guard let entry = state.index.entry(for: id) else { return nil }
                    guard now >= entry.touchedAtNanos, now - entry.touchedAtNanos >= untouchedForNanos else {
                        report.recentlyUsed += 1
                        return nil
                    }
                    return state.index.remove(id)
                }
                guard let removed else {
                    if try !contains(id) { report.absent += 1 }
                    return
                }
                let path = chunkPath(id)
                try FileSystem.remove(path)
                try FileSystem.syncDirectory(FileSystem.parent(of: path))
                report.deleted += 1
                report.deletedBytes += removed.storedLength
            }
        }
        return report
    }

    // MARK: Helpers

    /// Marks a held chunk as used now; whether it is held.
    func touch(_ id: ChunkID) throws(ReplicationError) -> Bool {
        let now = clock()
        return try withState { $0.index.touch(id, at: now) }
    }

    /// Runs `body` on the state under the mutex, or throws `.closed`.
    func withState<Value: Sendable>(_ body: (inout State) throws(ReplicationError) -> Value) throws(ReplicationError) -> Value {
        try state.withLock { (state: inout State) throws(ReplicationError) -> Value in
            guard state.lock != nil else { throw .closed }
            return try body(&state)
        }
    }

    /// The lock serializing file changes of `id` (and of the ids that share its stripe).
    func stripe(for id: ChunkID) -> Stripe {
        stripes[Int(id.prefix64 % UInt64(stripes.count))]
    }

    /// Where the frame of `id` lives.
    func chunkPath(_ id: ChunkID) -> String {
        let hex = id.hex
        return "\(directory)/chunks/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
    }

    func checkSpace(for bytes: Int) throws(ReplicationError) {
        let available = try FileSystem.availableBytes(at: directory)
        guard available - bytes >= options.reserveBytes else {
            throw .insufficientSpace(directory: directory, neededBytes: bytes, availableBytes: available,
                                     reserveBytes: options.reserveBytes)
        }
    }

    /// temp file, fsync, rename into place, fsync the directory; no temp file survives a failure.
    private func writeDurably(_ frame: ChunkFrame) throws(ReplicationError) {
        let path = chunkPath(frame.id)
        let parent = FileSystem.parent(of: path)
        try FileSystem.makeDirectoriesDurably(parent)
        let temp = "\(directory)/tmp/\(frame.id.hex).\(tempCounter.add(1, ordering: .relaxed).newValue)"
        do throws(ReplicationError) {
            let file = try SystemFile.open(temp, flags: O_WRONLY | O_CREAT | O_EXCL | O_TRUNC)
            try file.write(frame.bytes, at: 0)
            try file.sync()
            file.close()
            try FileSystem.rename(temp, to: path)
        } catch {
            _ = try? FileSystem.remove(temp)
            throw error
        }
        try FileSystem.syncDirectory(parent)
    }
}

/// A held chunk's sizes.
public struct ChunkInfo: Sendable, Hashable {
    /// The chunk.
    public let id: ChunkID
    /// Bytes once decoded.
    public let rawLength: Int
    /// Bytes of its frame on disk.
    public let storedLength: Int

    public init(id: ChunkID, rawLength: Int, storedLength: Int) {
        self.id = id
        self.rawLength = rawLength
        self.storedLength = storedLength
    }

    init(_ entry: ChunkIndex.Entry) {
        self.init(id: entry.id, rawLength: entry.rawLength, storedLength: entry.storedLength)
    }
}

extension ChunkIndex.Entry {
    init(_ frame: ChunkFrame) {
        self.init(id: frame.id, rawLength: frame.rawLength, storedLength: frame.storedLength)
    }
}

/// One stripe of the per-chunk file locks.
final class Stripe: Sendable {
    let mutex = Mutex(())
}
