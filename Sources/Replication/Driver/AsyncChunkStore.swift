/// A `ChunkStore` reached from async code: every call runs on a `BlockingExecutor`'s threads, so the
/// store's fsyncs never block the cooperative pool. What a node uses to serve its own member's share of
/// `ChunkPeers` and to answer peers' chunk requests.
///
/// The answers are the store's, with the same errors (`ChunkStore` documents them).
public struct AsyncChunkStore: Sendable {
    /// The store.
    public let store: ChunkStore
    /// Where its calls run.
    public let executor: BlockingExecutor

    public init(store: ChunkStore, executor: BlockingExecutor) {
        self.store = store
        self.executor = executor
    }

    /// Which of `ids` the store holds, in order.
    public func has(_ ids: [ChunkID]) async throws(ReplicationError) -> [Bool] {
        let store = self.store
        return try await executor.run { () throws(ReplicationError) -> [Bool] in try store.has(ids) }
    }

    /// Stores each frame (verifying it first; see `ChunkStore.put`), one answer per frame in order.
    ///
    /// A few frames are written one executor job each (about one fsync round per thread); a larger
    /// batch is cut into up to `batchGroups` runs of at least `batchGroupMin` frames, each stored by
    /// `ChunkStore.put(batch:)` on its own thread: its verification runs in parallel and each run
    /// costs two file-system syncs however many frames it holds.
    public func put(_ frames: [ChunkFrame]) async -> [Result<ChunkStore.PutOutcome, ReplicationError>] {
        let store = self.store
        let executor = self.executor
        let groups = frames.count < Self.batchGroupMin
            ? frames.indices.map { $0..<($0 + 1) }
            : Self.runs(of: frames.count, into: min(Self.batchGroups, frames.count / Self.batchGroupMin))
        return await withTaskGroup(of: (Range<Int>, [Result<ChunkStore.PutOutcome, ReplicationError>]).self) { group in
            for range in groups {
                let slice = Array(frames[range])
                group.addTask {
                    let outcomes = await executor.run { () -> [Result<ChunkStore.PutOutcome, ReplicationError>] in
                        if slice.count == 1 {
                            do throws(ReplicationError) { return [.success(try store.put(slice[0]))] } catch { return [.failure(error)] }
                        }
                        return store.put(batch: slice)
                    }
                    return (range, outcomes)
                }
            }
            var results = [Result<ChunkStore.PutOutcome, ReplicationError>](repeating: .failure(.closed), count: frames.count)
            for await (range, outcomes) in group {
                for (index, outcome) in zip(range, outcomes) { results[index] = outcome }
            }
            return results
        }
    }

    /// Runs per batch at most (the store's executor has this many threads on a node).
    static let batchGroups = 4
    /// Fewer frames than this are stored one by one.
    static let batchGroupMin = 8

    /// `count` indices cut into `parts` contiguous runs of nearly equal length.
    static func runs(of count: Int, into parts: Int) -> [Range<Int>] {
        let parts = max(1, parts)
        return (0..<parts).map { part in (count * part / parts)..<(count * (part + 1) / parts) }
    }

    /// The stored frame of `id`, verified by the store (a damaged copy is quarantined: `.chunkCorrupt`).
    public func get(_ id: ChunkID) async throws(ReplicationError) -> ChunkFrame {
        let store = self.store
        return try await executor.run { () throws(ReplicationError) -> ChunkFrame in try store.get(id).frame }
    }

    /// One page of held chunks in id order, after `after`.
    public func list(after: ChunkID?, limit: Int) async throws(ReplicationError) -> ChunkStore.Page {
        let store = self.store
        return try await executor.run { () throws(ReplicationError) -> ChunkStore.Page in
            try store.list(after: after, limit: limit)
        }
    }

    /// Deletes `ids`; answers how many were held.
    public func delete(_ ids: [ChunkID]) async throws(ReplicationError) -> Int {
        let store = self.store
        return try await executor.run { () throws(ReplicationError) -> Int in
            var deleted = 0
            for id in ids where try store.delete(id) { deleted += 1 }
            return deleted
        }
    }

    /// Collects those of `ids` untouched for `untouchedForNanos` (see `ChunkStore.collect`).
    public func collect(_ ids: [ChunkID], untouchedForNanos: UInt64) async throws(ReplicationError) -> ChunkStore.CollectReport {
        let store = self.store
        return try await executor.run { () throws(ReplicationError) -> ChunkStore.CollectReport in
            try store.collect(ids, untouchedForNanos: untouchedForNanos)
        }
    }

    /// Verifies up to `limit` more chunks (see `ChunkStore.scrub`).
    public func scrub(limit: Int) async throws(ReplicationError) -> ChunkStore.ScrubReport {
        let store = self.store
        return try await executor.run { () throws(ReplicationError) -> ChunkStore.ScrubReport in try store.scrub(limit: limit) }
    }
}
