/// Settings of one `RaftCore`. Times are in ticks; the driver decides how long a tick is.
public struct RaftConfig: Sendable, Equatable {
    /// This node's id; never `noNode`.
    public var id: NodeID
    /// A follower that hears nothing from a leader for a random time in
    /// [electionTicks, 2 × electionTicks) starts an election. MUST be > heartbeatTicks.
    public var electionTicks: Int = 10
    /// A leader sends heartbeats every heartbeatTicks.
    public var heartbeatTicks: Int = 1
    /// Run a pre-vote round before an election, so a partitioned node does not raise terms (§9.6).
    public var preVote: Bool = true
    /// A leader that has not heard from a majority for an election timeout steps down; voters that heard
    /// from a leader within the minimum election timeout ignore vote requests (§4.2.3).
    public var checkQuorum: Bool = true
    /// Serve ReadIndex from the leader's lease (no heartbeat round). Relies on bounded clock drift;
    /// requires checkQuorum. Off by default.
    public var leaseRead: Bool = false
    /// The most entry bytes one append message carries (at least one entry is always sent).
    public var maxMessageBytes: Int = 1 << 20
    /// The most append messages in flight to one follower.
    public var maxInflightMessages: Int = 256
    /// The most entry bytes in flight to one follower; 0 means no byte limit.
    public var maxInflightBytes: Int = 32 << 20
    /// Proposals are dropped while the leader's uncommitted entries exceed this many bytes.
    public var maxUncommittedBytes: Int = 64 << 20
    /// A snapshot neither acknowledged nor reported (`reportSnapshot`) within this many ticks is taken
    /// as lost and sent again; the transport's report is the normal path, this is the safety net.
    public var snapshotTimeoutTicks: Int = 50
    /// Seeds the election-timeout randomness; the same seed gives the same timeouts.
    public var seed: UInt64 = 1

    public init(id: NodeID, seed: UInt64 = 1) {
        precondition(id != noNode, "raft node id must not be 0")
        self.id = id
        self.seed = seed
    }
}
