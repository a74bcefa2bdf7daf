/// How many copies of each chunk the cluster keeps (R) and how many a write needs before it is
/// acknowledged (W).
///
/// - R = min(`replicationFactor`, live members): the chunk's replicas are the first R live members in
///   rendezvous order (`Placement.replicas`). Writes send to all R; repair restores R.
/// - A write is refused outright while fewer than `minReplicas` members are live (a cluster of 3 with 2
///   down accepts nothing; a one-node cluster is configured with `minReplicas` 1).
/// - Otherwise W = min(R, `minReplicas`): a chunk is acknowledged once W of its R replicas hold it
///   durably. With the defaults (3, 2) a write survives one replica failing mid-write: it is acknowledged
///   under-replicated (its `WriteReceipt` names the replica that missed it) and repair adds the copy.
///   Setting `minReplicas` to `replicationFactor` makes every acknowledged chunk fully replicated, at the
///   price of refusing writes whenever a replica is down.
public struct ReplicationPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Copies wanted per chunk; at least 1. Default 3.
    public var replicationFactor: Int
    /// The fewest live members that accept writes, and the fewest durable copies of an acknowledged chunk
    /// (when R allows); at least 1. Default 2.
    public var minReplicas: Int

    /// A policy; both values MUST be at least 1.
    public init(replicationFactor: Int = 3, minReplicas: Int = 2) {
        precondition(replicationFactor >= 1, "replicationFactor \(replicationFactor) must be at least 1")
        precondition(minReplicas >= 1, "minReplicas \(minReplicas) must be at least 1")
        self.replicationFactor = replicationFactor
        self.minReplicas = minReplicas
    }

    /// R: how many replicas each chunk has among `liveCount` live members.
    public func replicaCount(liveCount: Int) -> Int {
        max(0, min(replicationFactor, liveCount))
    }

    /// W: how many replicas must hold a chunk durably before a write of it is acknowledged with
    /// `liveCount` live members, or nil when writes are refused (fewer than `minReplicas` live).
    public func writeQuorum(liveCount: Int) -> Int? {
        guard liveCount >= minReplicas, liveCount >= 1 else { return nil }
        return min(replicaCount(liveCount: liveCount), minReplicas)
    }

    public var description: String { "R \(replicationFactor), min \(minReplicas)" }
}
