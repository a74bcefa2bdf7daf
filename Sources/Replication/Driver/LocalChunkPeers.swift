/// `ChunkPeers` over stores in this process, one per member: the whole cluster's chunk stores when a
/// single process plays every member (tests, a one-node cluster), and the shape of the local half of the
/// node's networked implementation.
///
/// A member with no store here answers `.peerUnavailable`.
public struct LocalChunkPeers: ChunkPeers {
    /// Each member's store.
    public let stores: [MemberID: AsyncChunkStore]
    /// Each member's uploads in flight (none when absent).
    public let uploads: [MemberID: UploadRegistry]

    public init(stores: [MemberID: AsyncChunkStore], uploads: [MemberID: UploadRegistry] = [:]) {
        self.stores = stores
        self.uploads = uploads
    }

    private func store(_ member: MemberID) throws(ReplicationError) -> AsyncChunkStore {
        guard let store = stores[member] else { throw .peerUnavailable(member, "no chunk store for this member here") }
        return store
    }

    public func has(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> [Bool] {
        try await store(member).has(ids)
    }

    public func put(_ frames: [ChunkFrame], on member: MemberID) async throws(ReplicationError)
        -> [Result<ChunkStore.PutOutcome, ReplicationError>]
    {
        try await store(member).put(frames)
    }

    public func get(_ id: ChunkID, from member: MemberID) async throws(ReplicationError) -> ChunkFrame {
        try await store(member).get(id)
    }

    public func list(on member: MemberID, after: ChunkID?, limit: Int) async throws(ReplicationError) -> ChunkStore.Page {
        try await store(member).list(after: after, limit: limit)
    }

    public func delete(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> Int {
        try await store(member).delete(ids)
    }

    public func collect(_ ids: [ChunkID], untouchedForNanos: UInt64, on member: MemberID) async throws(ReplicationError)
        -> ChunkStore.CollectReport
    {
        try await store(member).collect(ids, untouchedForNanos: untouchedForNanos)
    }

    public func oldestUploadNanos(on member: MemberID) async throws(ReplicationError) -> UInt64? {
        _ = try store(member)
        guard let oldest = uploads[member]?.oldest(), oldest.count > 0 else { return nil }
        return oldest.ageNanos
    }
}
