import Logging
import PFS
import Raft

/// What a pachd node is made of, for the public API handlers (Sources/Node/API) and the admin service:
/// created once in `main` after Raft and the peer transport exist, shared by every handler.
final class NodeContext: Sendable {
    /// The validated configuration this node runs with.
    let config: NodeConfig
    /// The Raft member: `propose` for writes (a follower forwards to the leader itself),
    /// `linearizableRead` before reads of `metadata`, `status` for health and cluster status.
    let raft: RaftNode
    /// The PFS metadata state machine that `raft` applies; read it after `raft.linearizableRead()`.
    let metadata: MetadataStateMachine
    /// The node's logger (label `pachd`); add namespaced metadata (`pfs.repo`, ...), never tokens.
    let logger: Logger
    /// Times for proposals (`createdAtNanos` etc.): the state machine must not read a clock.
    let clock: any ProposerClock
    /// The admin token's SHA-256; check a presented token with `isAdminToken(_:)`.
    let adminTokenHash: AdminTokenHash
    /// The peers: `status(of:timeout:)` asks another node for its own Raft status (ClusterStatus).
    let peers: GRPCPeerTransport
    /// This node's metrics (proposals are counted in `propose`).
    let metrics: NodeMetrics
    /// Joins, removals, and the leader's membership duties.
    let membership: Membership
    /// The chunk store (for cluster status); nil in tests without one.
    let chunks: NodeChunks?
    /// Files over the chunk store, with the node's tree cache; nil without a chunk store.
    let files: (any FileStorage)?

    init(config: NodeConfig, raft: RaftNode, metadata: MetadataStateMachine, logger: Logger,
         clock: any ProposerClock, adminTokenHash: AdminTokenHash, peers: GRPCPeerTransport,
         membership: Membership, chunks: NodeChunks? = nil, metrics: NodeMetrics = NodeMetrics()) {
        self.config = config
        self.raft = raft
        self.metadata = metadata
        self.logger = logger
        self.clock = clock
        self.adminTokenHash = adminTokenHash
        self.peers = peers
        self.membership = membership
        self.chunks = chunks
        self.files = chunks.map { ChunkFileStorage(io: NodeChunkIO(chunks: $0), cache: TreeObjectCache()) }
        self.metrics = metrics
    }

    /// Whether `presented` is the admin token (constant-time comparison of hashes).
    func isAdminToken(_ presented: String) -> Bool {
        adminTokenHash.matches(presented)
    }
}
