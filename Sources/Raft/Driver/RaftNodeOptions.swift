/// Settings of one `RaftNode`: the core's settings plus what the driver adds (real time, timeouts,
/// snapshots, sessions).
///
/// Timing defaults aim at a leader failover well under a second (the target: median <= 600 ms,
/// max <= 1.5 s; etcd's defaults, 100 ms heartbeat and 1 s election timeout, fail over in 1–2 s):
/// - a tick is 50 ms and the leader sends a heartbeat every tick, so followers hear from a live leader
///   every 50 ms and a ReadIndex round waits at most one tick for its heartbeat;
/// - the election timeout is 7 ticks: a follower campaigns after a random 350–650 ms of silence (the core
///   draws from [7, 14) ticks, fixed per term). With two surviving followers the first fires after the
///   smaller of two draws: median 9 ticks (~450 ms), at most 13 ticks (650 ms). Pre-vote, vote, the new
///   leader's no-op and the first proposal add a few round trips and fsyncs (~10–30 ms here), so the
///   expected failover is ~450 ms median and ~700 ms worst case. With 8 ticks the median measured
///   ~520 ms: inside the target, but with little margin on a loaded machine.
/// - 7 missed heartbeats (350 ms) before anyone campaigns tolerate scheduler and fsync stalls of a few
///   hundred milliseconds; pre-vote and check-quorum keep a follower that stalled alone from deposing a
///   live leader (the others, still hearing it, refuse the pre-vote).
public struct RaftNodeOptions: Sendable {
    /// The core's settings (id, seed, pre-vote, check-quorum, flow control). `electionTicks` and
    /// `heartbeatTicks` there are in units of `tickInterval`.
    public var core: RaftConfig
    /// The length of one logical tick.
    public var tickInterval: Duration = .milliseconds(50)
    /// How long `propose`, `proposeConfigChange`, `linearizableRead` and `transferLeadership` wait before
    /// failing with `RaftError.timeout` (the outcome of a timed-out proposal is unknown: retry it with the
    /// same client and sequence number).
    public var requestTimeout: Duration = .seconds(5)
    /// Take a state-machine snapshot and compact the log after this many applied entries since the last
    /// snapshot; 0 disables snapshots.
    public var snapshotInterval: UInt64 = 10_000
    /// Client sessions idle for this many log entries are forgotten. MUST be equal on every node.
    public var sessionIdleEntries: UInt64 = 1_000_000
    /// At most this many client sessions are kept. MUST be equal on every node.
    public var maxSessions: Int = 100_000
    /// At most this many proposals, reads and other requests wait at once; more fail at once with
    /// `proposalDropped` (backpressure instead of unbounded queues).
    public var maxPendingRequests: Int = 10_000
    /// When set and the storage is empty, the node writes `PersistedState.bootstrap(voters:)` before it
    /// starts: a founding member of a new cluster. Every founder MUST be given the same voters.
    public var bootstrapVoters: [NodeID]?

    /// Options for node `id` with the defaults above (50 ms ticks, heartbeat 1 tick, election 7 ticks).
    public init(id: NodeID, bootstrapVoters: [NodeID]? = nil, seed: UInt64 = 1) {
        core = RaftConfig(id: id, seed: seed)
        core.electionTicks = 7
        core.heartbeatTicks = 1
        self.bootstrapVoters = bootstrapVoters
    }

    /// This node's id.
    public var id: NodeID { core.id }
}
