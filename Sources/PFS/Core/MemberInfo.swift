/// A cluster member as the replicated state records it: where to reach it and the leader's latest
/// liveness verdict. The Raft configuration says who votes; this says how to reach them and whether
/// they are up, so that every node (and the chunk placement) agrees on it.
public struct MemberInfo: Sendable, Hashable {
    /// The member's Raft node id (never 0).
    public var id: UInt64
    /// host:port of its client API.
    public var apiAddress: String
    /// host:port of its peer API (Raft, chunks).
    public var peerAddress: String
    /// The leader's verdict: false after the member stayed silent for the down grace period.
    public var isUp: Bool
    /// When (the proposer's clock) the member registered or its verdict last changed.
    public var changedAtNanos: UInt64

    public init(id: UInt64, apiAddress: String, peerAddress: String, isUp: Bool = true, changedAtNanos: UInt64) {
        self.id = id
        self.apiAddress = apiAddress
        self.peerAddress = peerAddress
        self.isUp = isUp
        self.changedAtNanos = changedAtNanos
    }
}
