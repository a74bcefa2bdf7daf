/// What one chunk's write achieved (`ChunkWriter.write`).
public struct WriteReceipt: Sendable, Equatable, CustomStringConvertible {
    /// The chunk.
    public let id: ChunkID
    /// Replicas that hold it durably now (they stored it with fsync, or already had it), in placement
    /// order.
    public let holders: [MemberID]
    /// Replicas (among the live members) that did not take it, in placement order; repair copies it there.
    public let missing: [MemberID]

    public init(id: ChunkID, holders: [MemberID], missing: [MemberID]) {
        self.id = id
        self.holders = holders
        self.missing = missing
    }

    /// R: the replicas placement chose, holders and missing together.
    public var replicaCount: Int { holders.count + missing.count }

    /// Whether fewer than R replicas hold it (some replica missed the write).
    public var isUnderReplicated: Bool { !missing.isEmpty }

    public var description: String {
        "\(id) on \(holders)" + (missing.isEmpty ? "" : ", missing on \(missing)")
    }
}
