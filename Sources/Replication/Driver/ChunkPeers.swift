/// The members' chunk stores as the replication logic reaches them: the node implements it over the
/// peer API (Proto/chunk.proto, mutual TLS), tests implement it in memory with injected faults.
///
/// An implementation serves calls addressed to the local member from the local `ChunkStore` (without the
/// network), so the writer, reader and repair treat every replica alike. Calls are `async` and never
/// block a cooperative thread: store work runs on dedicated threads (`BlockingExecutor`).
///
/// Errors: `.peerUnavailable` when the member cannot be reached or did not answer in time; the store
/// errors (`chunkNotFound`, `chunkCorrupt`, `insufficientSpace`, `idMismatch`, ...) as the member's store
/// reported them.
public protocol ChunkPeers: Sendable {
    /// Which of `ids` `member` holds, in order.
    func has(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> [Bool]

    /// Stores `frames` on `member`. One answer per frame, in order: what its store did, or why it refused
    /// that frame (a frame that is not its id, a full disk). Throws only when the call as a whole failed;
    /// then any subset of the frames may have been stored.
    func put(_ frames: [ChunkFrame], on member: MemberID) async throws(ReplicationError)
        -> [Result<ChunkStore.PutOutcome, ReplicationError>]

    /// The frame of `id` as `member` holds it, verified by the member before sending (and to be verified
    /// again by the caller, which trusts no wire).
    func get(_ id: ChunkID, from member: MemberID) async throws(ReplicationError) -> ChunkFrame

    /// One page of `member`'s chunks in id order, starting after `after`.
    func list(on member: MemberID, after: ChunkID?, limit: Int) async throws(ReplicationError) -> ChunkStore.Page

    /// Deletes `ids` on `member`; answers how many it held.
    func delete(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> Int
    /// Garbage collection on `member`: deletes those of `ids` no writer used within `untouchedForNanos`
    /// (`ChunkStore.collect`).
    func collect(_ ids: [ChunkID], untouchedForNanos: UInt64, on member: MemberID) async throws(ReplicationError)
        -> ChunkStore.CollectReport
    /// How long the oldest upload in flight on `member` has been running, in nanoseconds (nil: none).
    func oldestUploadNanos(on member: MemberID) async throws(ReplicationError) -> UInt64?
}
